import Foundation
import Testing
@testable import ScollectSandbox

/// The payment routes over real HTTP, what they store (and never store), the instance id, the
/// schema migration, and the `drop_after_commit` fault.
@Suite struct SandboxPaymentsTests {
    static let pan = "4111111111111111"
    static let cvv = "8642"
    static let checkingAccount = "9876543210"

    /// A complete insert_payments_external body (the document's example, with our secrets).
    static func payment(_ changes: [String: SandboxJSON] = [:]) -> SandboxJSON {
        var body: [String: SandboxJSON] = [
            "filenumber": "r1000", "paymentdate": "2023-04-15", "payorname": "John Doe",
            "paymentmethod": "CREDIT CARD", "paymentstatus": "PENDING", "typeofpayment": "Online",
            "checkaccountnumber": .string(checkingAccount), "checkroutingnumber": "012345678", "cardtype": "Visa",
            "cardnumber": .string(pan), "threedigitnumber": .string(cvv), "cardexpirationmonth": "12",
            "cardexpirationyear": "2025", "cardexpirationdate": "12/2025", "paymentamount": "1234.5",
            "checkaccounttype": "Checking", "acceptedfees": "0", "printed": "false", "invoice": "INV123456",
        ]
        for (key, value) in changes { body[key] = value }
        return .object(body)
    }

    static func plan(_ items: [(String, String)], _ changes: [String: SandboxJSON] = [:]) -> SandboxJSON {
        var body = payment(changes).objectValue!
        body["paymentdata"] = .array(items.map { ["paymentamount": .string($0.1), "paymentdate": .string($0.0)] })
        return .object(body)
    }

    static let inserted: SandboxJSON = ["state": "SUCCESS", "message": "Payment successfully inserted"]
    static let planInserted: SandboxJSON = ["state": "SUCCESS", "message": "Payment plan successfully inserted"]
    static let updated: SandboxJSON = ["result": ["success": "Payments have been updated."], "state": "SUCCESS"]

    static func todayMonthDayYear() -> String {
        let c = Calendar.current.dateComponents([.year, .month, .day], from: Date())
        return "\(c.month!)/\(c.day!)/\(c.year!)"
    }

    static func isCardToken(_ value: SandboxJSON?) -> Bool {
        guard let text = value?.stringValue else { return false }
        let groups = text.split(separator: "-", omittingEmptySubsequences: false)
        return groups.count == 4 && groups.allSatisfy { $0.count == 4 && $0.allSatisfy { $0.isLowercase || $0.isNumber } }
    }

    // MARK: insert_payments_external

    @Test func insertedPaymentReadsBackThroughGetpayments() async throws {
        let f = try SandboxFixture()
        defer { f.stop() }
        let token = try await f.client.login()
        let r = try await f.client.send("POST", "/insert_payments_external", json: Self.payment(), token: token)
        #expect(r.status == 200)
        #expect(r.json == Self.inserted)

        let payments = try await f.client.get("/getpayments/R1000", token: token)
        #expect(payments.json == ["result": [[
            "datetaken": .string(Self.todayMonthDayYear()), "filenumber": "R1000", "merchant": nil,
            "paymentamount": "1234.50", "paymentdate": "Sat, 15 Apr 2023 00:00:00 GMT", "paymentmethod": "CREDIT CARD",
            "portfolio": "C2C PDL TEST", "typeofpayment": "Online",
        ]], "state": "SUCCESS"])

        // The stored-only columns, the secrets reduced to a token and last digits.
        let row = try #require(try f.server.store.query(
            "SELECT * FROM payments WHERE maindatabaseid = 1").first)
        #expect(row["payorname"] == "John Doe")
        #expect(row["paymentstatus"] == "PENDING")
        #expect(row["invoice"] == "INV123456")
        #expect(row["cardtype"] == "Visa")
        #expect(Self.isCardToken(row["cardtoken"]))
        #expect(row["last4card"] == "1111")
        #expect(row["cardexpirationdate"] == "12/2025")
        #expect(row["checkaccountlast4"] == "3210")
        #expect(row["checkroutingnumber"] == "012345678")
        #expect(row["checkaccounttype"] == "Checking")
        #expect(row["acceptedfees"] == "0")
        #expect(row["printed"] == "false")
        #expect(!row.keys.contains("cardnumber") && !row.keys.contains("threedigitnumber"))
        #expect(!row.values.contains(.string(Self.pan)) && !row.values.contains(.string(Self.cvv)))

        // Appended after the document's payments, in insertion order.
        _ = try await f.client.send("POST", "/insert_payments_external",
                                    json: Self.payment(["filenumber": "R1001", "paymentamount": "20"]), token: token)
        let r1001 = try await f.client.get("/getpayments/R1001", token: token)
        #expect(r1001.json["result"]?.arrayValue?.map { $0["paymentamount"] } == ["15.00", "150.00", "150.00", "20.00"])
    }

    @Test func insertPaymentErrors() async throws {
        let f = try SandboxFixture()
        defer { f.stop() }
        let token = try await f.client.login()
        func insert(_ body: SandboxJSON) async throws -> HTTPResult {
            let r = try await f.client.send("POST", "/insert_payments_external", json: body, token: token)
            #expect(r.status == 200)
            let text = String(decoding: r.body, as: UTF8.self)
            #expect(!text.contains(Self.pan) && !text.contains(Self.cvv))
            return r
        }
        func error(_ message: String) -> SandboxJSON { ["result": ["error": .string(message)], "state": "SUCCESS"] }

        var absent = Self.payment().objectValue!
        absent["invoice"] = nil
        absent["cardtype"] = nil
        #expect(try await insert(.object(absent)).json == error("Missing required field(s): cardtype, invoice"))
        let blank = try await insert(Self.payment(["paymentstatus": "", "paymentmethod": nil]))
        #expect(blank.json == error("Missing required field(s): paymentmethod, paymentstatus"))
        // A field that does not apply comes as "": fine.
        #expect(try await insert(Self.payment(["cardnumber": "", "threedigitnumber": "", "cardtype": ""])).json == Self.inserted)

        for date in ["2023-02-30", "04/15/2023", "2023-4-15", "today"] {
            #expect(try await insert(Self.payment(["paymentdate": .string(date)])).json
                == error("paymentdate must be a date like 2023-04-15 (yyyy-mm-dd)"))
        }
        for amount: SandboxJSON in ["12,00", "$10.00", "-5.00", "0.00", "1.234", "abc", "10."] {
            #expect(try await insert(Self.payment(["paymentamount": amount])).json
                == error("paymentamount must be a positive amount like 100.00"))
        }
        let unknown = try await insert(Self.payment(["filenumber": "R9999"]))
        #expect(unknown.json == ["result": [["error": "File number R9999 does not exist."], 404], "state": "SUCCESS"])
        #expect(try f.server.store.payments("R1000").count == 1)
    }

    // MARK: insert_payplan_external

    @Test func aPlanOfThreeItemsIsThreePayments() async throws {
        let f = try SandboxFixture()
        defer { f.stop() }
        let token = try await f.client.login()
        var body = Self.plan([("2025-09-01", "1"), ("2025-10-01", "1.5"), ("2025-11-01", "100.00")]).objectValue!
        body["paymentdate"] = nil  // the top-level date and amount are not needed…
        body["paymentamount"] = "not an amount"  // …nor looked at
        let r = try await f.client.send("POST", "/insert_payplan_external", json: .object(body), token: token)
        #expect(r.json == Self.planInserted)
        let payments = try #require(try await f.client.get("/getpayments/R1000", token: token).json["result"]?.arrayValue)
        #expect(payments.map { $0["paymentamount"] } == ["1.00", "1.50", "100.00"])
        #expect(payments.map { $0["paymentdate"] } == [
            "Mon, 01 Sep 2025 00:00:00 GMT", "Wed, 01 Oct 2025 00:00:00 GMT", "Sat, 01 Nov 2025 00:00:00 GMT",
        ])
        #expect(payments.allSatisfy { $0["typeofpayment"] == "Online" && $0["filenumber"] == "R1000" })
        let stored = try f.server.store.query("SELECT cardtoken, last4card, payorname FROM payments WHERE maindatabaseid = 1")
        #expect(stored.count == 3 && stored.allSatisfy { Self.isCardToken($0["cardtoken"]) && $0["last4card"] == "1111" })
        #expect(Set(stored.map { $0["cardtoken"] }).count == 1)  // one card, one token
    }

    @Test func planErrors() async throws {
        let f = try SandboxFixture()
        defer { f.stop() }
        let token = try await f.client.login()
        func insert(_ body: SandboxJSON) async throws -> SandboxJSON {
            try await f.client.send("POST", "/insert_payplan_external", json: body, token: token).json
        }
        func error(_ message: String) -> SandboxJSON { ["result": ["error": .string(message)], "state": "SUCCESS"] }
        #expect(try await insert(Self.payment()) == error("Missing required field(s): paymentdata"))
        let notAList = error(#"paymentdata must be a non-empty list of {"paymentamount", "paymentdate"}"#)
        #expect(try await insert(Self.plan([])) == notAList)
        #expect(try await insert(Self.payment(["paymentdata": "2025-09-01"])) == notAList)
        #expect(try await insert(Self.plan([("2025-09-01", "1.00"), ("2025-09-31", "1.00")]))
            == error("paymentdata[1].paymentdate must be a date like 2023-04-15 (yyyy-mm-dd)"))
        #expect(try await insert(Self.plan([("2025-09-01", "x")]))
            == error("paymentdata[0].paymentamount must be a positive amount like 100.00"))
        var noPayor = Self.plan([("2025-09-01", "1.00")]).objectValue!
        noPayor["payorname"] = nil
        #expect(try await insert(.object(noPayor)) == error("Missing required field(s): payorname"))
        #expect(try await insert(Self.plan([("2025-09-01", "1.00")], ["filenumber": "R46"]))
            == ["result": [["error": "File number R46 does not exist."], 404], "state": "SUCCESS"])
        #expect(try f.server.store.payments("R1000").isEmpty)
    }

    // MARK: update_payment_external

    @Test func updateChangesOnlyPendingPayments() async throws {
        let f = try SandboxFixture()
        defer { f.stop() }
        let token = try await f.client.login()
        _ = try await f.client.send("POST", "/insert_payments_external", json: Self.payment(), token: token)
        _ = try await f.client.send("POST", "/insert_payments_external",
                                    json: Self.payment(["paymentstatus": "APPROVED", "paymentamount": "10.00"]), token: token)
        let before = try f.server.store.query("SELECT * FROM payments WHERE maindatabaseid = 1 ORDER BY id")
        let r = try await f.client.send("POST", "/update_payment_external", json: [
            "filenumber": "R1000", "paymentdate": "2025-04-15", "paymentamount": "75", "cardnumber": "5555555555554444",
            "threedigitnumber": "3197", "cardtype": "MasterCard", "acceptedfees": true, "checkcity": "Springfield",
            "checkaccountnumber": "123456789", "payorname": "", "invoice": nil, "printed": [],
        ], token: token)
        #expect(r.status == 200)
        #expect(r.json == Self.updated)

        // Only a payment that is not PENDING is the account's last payment.
        let account = try #require(try f.server.store.account("R1000"))
        #expect(account["lastpaymentdate"] == "4/15/2023")
        #expect(account["lastpaymentamount"] == "10.00")

        let after = try f.server.store.query("SELECT * FROM payments WHERE maindatabaseid = 1 ORDER BY id")
        #expect(after[1] == before[1])  // APPROVED: untouched
        let pending = after[0]
        #expect(pending["paymentdate"] == "Tue, 15 Apr 2025 00:00:00 GMT")
        #expect(pending["paymentamount"] == "75.00")
        #expect(pending["cardtype"] == "MasterCard")
        #expect(pending["last4card"] == "4444")
        #expect(Self.isCardToken(pending["cardtoken"]) && pending["cardtoken"] != before[0]["cardtoken"])
        #expect(pending["acceptedfees"] == "1")
        #expect(pending["checkcity"] == "Springfield")
        #expect(pending["checkaccountlast4"] == "6789")
        // null, "" and [] are ignored.
        #expect(pending["payorname"] == "John Doe")
        #expect(pending["invoice"] == "INV123456")
        #expect(pending["printed"] == "false")
        #expect(!pending.values.contains("3197") && !pending.values.contains("5555555555554444"))
    }

    @Test func updateErrors() async throws {
        let f = try SandboxFixture()
        defer { f.stop() }
        let token = try await f.client.login()
        func update(_ body: SandboxJSON) async throws -> SandboxJSON {
            let r = try await f.client.send("POST", "/update_payment_external", json: body, token: token)
            #expect(r.status == 200)
            return r.json
        }
        let noField: SandboxJSON = ["state": "TIMEOUT", "status": "At least one update field must be provided."]
        #expect(try await update(["filenumber": "R1000"]) == noField)
        #expect(try await update(["filenumber": "R1000", "payorname": "", "invoice": nil, "printed": [], "bogus": "x"]) == noField)
        // The document's payments of R1001 have no status: none is PENDING.
        for fn in ["R1001", "R46"] {
            #expect(try await update(["filenumber": .string(fn), "payorname": "Jane"])
                == ["result": [["error": .string("No payment info found with filenumber \(fn)")], 400], "state": "SUCCESS"])
        }
        #expect(try await update(["payorname": "Jane"])["result"]?[1] == 400)
        _ = try await f.client.send("POST", "/insert_payments_external", json: Self.payment(), token: token)
        #expect(try await update(["filenumber": "R1000", "paymentdate": "2025-13-01"])
            == ["result": ["error": "paymentdate must be a date like 2023-04-15 (yyyy-mm-dd)"], "state": "SUCCESS"])
        #expect(try await update(["filenumber": "r1000", "payorname": "Jane"]) == Self.updated)
    }

    // MARK: get_lastpayinfo

    @Test func lastPayInfoReturnsTheLatestPaymentsTokenAndLast4() async throws {
        let f = try SandboxFixture()
        defer { f.stop() }
        let token = try await f.client.login()
        func lastPayInfo(_ fn: String) async throws -> SandboxJSON {
            try await f.client.send("POST", "/get_lastpayinfo", json: ["filenumber": .string(fn)], token: token).json
        }
        #expect(try await lastPayInfo("R1000") == ["result": ["data": []], "state": "SUCCESS"])
        #expect(try await lastPayInfo("R46") == ["result": [["error": "File number R46 does not exist."], 404], "state": "SUCCESS"])

        // The later day wins over the later insert; on the same day, the later insert.
        _ = try await f.client.send("POST", "/insert_payments_external", json: Self.payment([
            "paymentdate": "2025-05-26", "payorname": "Blake McCammon", "cardnumber": "4000 0000 0000 1165",
            "cardexpirationdate": "05/2030",
        ]), token: token)
        _ = try await f.client.send("POST", "/insert_payments_external",
                                    json: Self.payment(["paymentdate": "2025-01-02"]), token: token)
        let r = try await lastPayInfo("r1000")
        let data = try #require(r["result"]?["data"]?.arrayValue)
        #expect(data.count == 1)
        let storedToken = try f.server.store.query(
            "SELECT cardtoken FROM payments WHERE payorname = 'Blake McCammon'").first?["cardtoken"]
        #expect(Self.isCardToken(data[0]["cardnumber"]) && data[0]["cardnumber"] == storedToken)
        #expect(data[0] == [
            "cardaddress": "", "cardexpirationdate": "05/2030", "cardnumber": data[0]["cardnumber"]!, "cardzipcode": "",
            "last4card": "1165", "paymentdate": "Mon, 26 May 2025 00:00:00 GMT", "payorname": "Blake McCammon",
        ])
        _ = try await f.client.send("POST", "/insert_payments_external",
                                    json: Self.payment(["paymentdate": "2025-05-26", "payorname": "Second"]), token: token)
        #expect(try await lastPayInfo("R1000")["result"]?["data"]?[0]?["payorname"] == "Second")
    }

    // MARK: Secrets

    @Test func theDatabaseFileHoldsNeitherCardNumberNorCVV() async throws {
        let f = try SandboxFixture()
        defer { f.stop() }
        let secondPAN = "5555555555554444", secondCVV = "3197"
        let secrets = [Self.pan, Self.cvv, Self.checkingAccount, secondPAN, secondCVV]
        func fileBytes() throws -> Data {
            var all = Data()
            for suffix in ["", "-wal", "-shm"] where FileManager.default.fileExists(atPath: f.databasePath + suffix) {
                all.append(try Data(contentsOf: URL(fileURLWithPath: f.databasePath + suffix)))
            }
            return all
        }
        // The secrets are distinctive: none is in a fresh database by chance.
        let fresh = try fileBytes()
        for secret in secrets { try #require(fresh.range(of: Data(secret.utf8)) == nil, "\(secret) already in the file") }

        let token = try await f.client.login()
        var answers: [HTTPResult] = []
        answers.append(try await f.client.send("POST", "/insert_payments_external", json: Self.payment(), token: token))
        answers.append(try await f.client.send("POST", "/insert_payplan_external",
                                               json: Self.plan([("2025-09-01", "5"), ("2025-10-01", "5")]), token: token))
        answers.append(try await f.client.send("POST", "/update_payment_external", json: [
            "filenumber": "R1000", "cardnumber": .string(secondPAN), "threedigitnumber": .string(secondCVV),
        ], token: token))
        answers.append(try await f.client.get("/getpayments/R1000", token: token))
        answers.append(try await f.client.send("POST", "/get_lastpayinfo", json: ["filenumber": "R1000"], token: token))
        #expect(answers.allSatisfy { $0.status == 200 })
        #expect(try f.server.store.payments("R1000").count == 3)

        let stored = try fileBytes()
        for secret in secrets {
            #expect(stored.range(of: Data(secret.utf8)) == nil, "\(secret) is in the database file")
            for answer in answers { #expect(answer.body.range(of: Data(secret.utf8)) == nil, "\(secret) in an answer") }
        }
    }

    // MARK: Instance id and migration

    @Test func instanceIDSurvivesRestartsAndAResetRenewsIt() async throws {
        let f = try SandboxFixture()
        defer { f.stop() }
        let first = f.server.store.instanceID
        #expect(UUID(uuidString: first) != nil)
        try f.restart()
        #expect(f.server.store.instanceID == first)
        f.server.stop()
        try SandboxDatabase.reset(path: f.databasePath, seedFiles: [])
        try f.restart()
        #expect(f.server.store.instanceID != first)
        #expect(UUID(uuidString: f.server.store.instanceID) != nil)
    }

    @Test func aVersion1DatabaseIsMigratedInPlace() async throws {
        let f = try SandboxFixture()
        defer { f.stop() }
        // Turn the new database into what version 1 created: no stored-only payment columns, no instance id.
        let storedOnly = ChildTable.payments.storedColumns.filter {
            !ChildTable.payments.outputColumns.contains($0) && $0 != "id" && $0 != "maindatabaseid"
        }
        #expect(storedOnly.contains("cardtoken"))
        try await f.server.store.pool.write { db in
            for column in storedOnly { try db.execute(sql: "ALTER TABLE payments DROP COLUMN \(column)") }
            try db.execute(sql: "DELETE FROM meta WHERE key = 'instance_id'")
            try db.execute(sql: "UPDATE meta SET value = '1' WHERE key = 'schema_version'")
        }
        try f.restart()
        let store = f.server.store
        #expect(try store.query("SELECT value FROM meta WHERE key = 'schema_version'").first?["value"] == .string(String(Schema.version)))
        #expect(UUID(uuidString: store.instanceID) != nil)
        let columns = try store.query("SELECT name FROM pragma_table_info('payments')").compactMap { $0["name"]?.stringValue }
        #expect(Set(storedOnly).isSubset(of: Set(columns)))

        let token = try await f.client.login()
        #expect(try await f.client.send("POST", "/insert_payments_external", json: Self.payment(), token: token).json == Self.inserted)
        #expect(try await f.client.get("/getpayments/R1001", token: token).json["result"]?.arrayValue?.count == 3)
        #expect(try store.query("SELECT last4card FROM payments WHERE maindatabaseid = 1").first?["last4card"] == "1111")
    }

    // MARK: drop_after_commit

    @Test func atShareOneEveryCommittedWriteIsDroppedYetStored() async throws {
        let f = try SandboxFixture { $0.dropAfterCommit = 1 }
        defer { f.stop() }
        let token = try await f.client.login()
        await #expect(throws: (any Error).self) {
            _ = try await f.client.send("POST", "/insert_payments_external", json: Self.payment(), token: token)
        }
        await #expect(throws: (any Error).self) {
            _ = try await f.client.send("PUT", "/updatedbase",
                                        json: ["filenumber": "R1000", "fieldname": "city", "fieldvalue": "MOBILE"], token: token)
        }
        // Committed all the same.
        let payments = try await f.client.get("/getpayments/R1000", token: token)
        #expect(payments.json["result"]?[0]?["paymentamount"] == "1234.50")
        #expect(try f.server.store.account("R1000")?["city"] == "MOBILE")
        // A write that commits nothing is answered.
        let unknown = try await f.client.send("POST", "/insert_payments_external",
                                              json: Self.payment(["filenumber": "R9999"]), token: token)
        #expect(unknown.json["result"]?[1] == 404)
        let stats = try await f.client.get("/_sandbox/stats", token: nil).json
        #expect(stats["dropped_after_commit"] == 2)
        #expect(stats["drop_after_commit"] == 1.0)
    }

    @Test func atShareZeroNothingIsDropped() async throws {
        let f = try SandboxFixture()
        defer { f.stop() }
        let token = try await f.client.login()
        for day in 1...5 {
            let r = try await f.client.send("POST", "/insert_payments_external",
                                            json: Self.payment(["paymentdate": .string("2025-01-0\(day)")]), token: token)
            #expect(r.json == Self.inserted)
        }
        #expect(f.server.stats.droppedAfterCommit == 0)
        var outOfRange = SandboxConfiguration(databasePath: f.seedPath("other.sqlite"))
        outOfRange.dropAfterCommit = 1.5
        #expect(throws: (any Error).self) { _ = try SandboxServer.start(outOfRange) }
        #expect(try await f.client.get("/_sandbox/stats", token: nil).json["dropped_after_commit"] == 0)
    }

    @Test func theSameSeedDrawsTheSameDrops() {
        func draws(seed: UInt64, share: Double = 0.5) -> [Bool] {
            let traffic = SandboxTraffic(faults: SandboxFaults(rateLimit: nil, tokenTTL: 900, dropAfterCommit: share, faultSeed: seed))
            return (0..<64).map { _ in traffic.drawAfterCommitFault() == .drop }
        }
        #expect(draws(seed: 7) == draws(seed: 7))
        #expect(draws(seed: 7) != draws(seed: 8))
        #expect(draws(seed: 7, share: 1).allSatisfy { $0 })
        #expect(draws(seed: 7, share: 0).allSatisfy { !$0 })
        let half = draws(seed: 7).filter { $0 }.count
        #expect(half > 16 && half < 48)

        // Setting the seed again restarts the sequence; so does reseeding with the same seed.
        let traffic = SandboxTraffic(faults: SandboxFaults(rateLimit: nil, tokenTTL: 900, dropAfterCommit: 0.5, faultSeed: 7))
        let first = (0..<10).map { _ in traffic.drawAfterCommitFault() == .drop }
        traffic.update(reseed: true) { $0.faultSeed = 7 }
        #expect((0..<10).map { _ in traffic.drawAfterCommitFault() == .drop } == first)
        #expect(traffic.currentStats.droppedAfterCommit == 2 * first.filter { $0 }.count)
    }

    @Test func dropsAreConfigurableAtRuntimeAndRepeatWithTheSeed() async throws {
        let f = try SandboxFixture()
        defer { f.stop() }
        let client = f.client
        #expect(try await client.get("/_sandbox/config", token: nil).json
            == ["rate_limit": nil, "token_ttl": 900.0, "drop_after_commit": 0.0, "fault_seed": 0,
               "http_500": 0.0, "drop_connection": 0.0, "latency_ms": 0.0, "close_after_commit": 0.0,
               "timeout_after_commit": 0.0, "empty_after_commit": 0.0, "bad_gateway_after_commit": 0.0])
        for bad: SandboxJSON in [["drop_after_commit": 1.5], ["drop_after_commit": -0.1], ["drop_after_commit": "x"],
                                 ["fault_seed": -1], ["fault_seed": "seven"]] {
            #expect(try await client.send("PUT", "/_sandbox/config", json: bad).status == 400)
        }
        let token = try await client.login()
        func outcomes() async throws -> [Bool] {
            var dropped: [Bool] = []
            for day in 1...9 {
                do {
                    let r = try await client.send("POST", "/insert_payments_external",
                                                  json: Self.payment(["paymentdate": .string("2025-02-0\(day)")]), token: token)
                    #expect(r.json == Self.inserted)
                    dropped.append(false)
                } catch {
                    dropped.append(true)
                }
            }
            return dropped
        }
        let config = try await client.send("PUT", "/_sandbox/config", json: ["drop_after_commit": 0.5, "fault_seed": 7,
                                "http_500": 0.0, "drop_connection": 0.0, "latency_ms": 0.0, "close_after_commit": 0.0,
                                "timeout_after_commit": 0.0, "empty_after_commit": 0.0, "bad_gateway_after_commit": 0.0])
        #expect(config.json == ["rate_limit": nil, "token_ttl": 900.0, "drop_after_commit": 0.5, "fault_seed": 7,
                                "http_500": 0.0, "drop_connection": 0.0, "latency_ms": 0.0, "close_after_commit": 0.0,
                                "timeout_after_commit": 0.0, "empty_after_commit": 0.0, "bad_gateway_after_commit": 0.0])
        let first = try await outcomes()
        _ = try await client.send("PUT", "/_sandbox/config", json: ["fault_seed": 7])
        let second = try await outcomes()
        #expect(first == second)
        let expected = SandboxTraffic(faults: SandboxFaults(rateLimit: nil, tokenTTL: 900, dropAfterCommit: 0.5, faultSeed: 7))
        #expect(first == (0..<9).map { _ in expected.drawAfterCommitFault() == .drop })
        #expect(first.contains(true) && first.contains(false))
        // Dropped or not, every write was committed.
        #expect(try f.server.store.payments("R1000").count == 18)
        let stats = try await client.get("/_sandbox/stats", token: nil).json
        #expect(stats["dropped_after_commit"]?.intValue == 2 * first.filter { $0 }.count)
        #expect(stats["fault_seed"] == 7)
        #expect(f.server.faults.dropAfterCommit == 0.5)
    }
}
