import Foundation
import ScollectETL
import ScollectSandbox
import ScollectTestSupport
import Testing

/// `Pipelines/account-maintenance.yml` over real HTTP into a real sandbox (Scollect and the
/// Factors Network emulation), read back through the documented GETs, or the sandbox's store
/// where the API has none.
@Suite(.serialized)
struct AccountMaintenanceTests {
    /// What `Scripts/make_maintenance_sample.py` designed each row to do.
    struct Expected {
        let rows: Int
        let written: Int
        let unchanged: Int
        let rejected: [String: Int]
        let outcomes: [Int: String]
        let pendingAccounts: [String]

        init() throws {
            let data = try Data(contentsOf: URL(fileURLWithPath: repositoryPath("SampleData/account-maintenance.expected.json")))
            let json = try JSONSerialization.jsonObject(with: data) as! [String: Any]
            rows = json["rows"] as! Int
            written = json["written"] as! Int
            unchanged = json["unchanged"] as! Int
            rejected = json["rejected"] as! [String: Int]
            outcomes = Dictionary(uniqueKeysWithValues: (json["outcomes"] as! [[String: Any]]).map { ($0["row"] as! Int, $0["outcome"] as! String) })
            pendingAccounts = json["pending_payments_booked_by_the_test"] as! [String]
        }
    }

    /// Reasons the server gives; every other reason is found before any call.
    static let serverReasons: Set<String> = ["API_ERROR", "HTTP_ERROR", "ACCOUNT_NOT_FOUND", "OUTCOME_UNKNOWN"]

    static func pipeline(reports: String) throws -> PipelineConfig {
        var config = try PipelineLoader.load(path: repositoryPath("Pipelines/account-maintenance.yml"))
        config.reportsFolder = reports
        config.target.requestsPerSecond = 2000
        return config
    }

    static func target(_ server: SandboxServer, factorsNetwork: Bool = true) -> RunTarget {
        RunTarget(baseURL: server.baseURL, credentials: Credentials(apikey: SandboxConfiguration.defaultAPIKey, pin: SandboxConfiguration.defaultPIN),
                  description: "test sandbox \(server.baseURL)",
                  factorsNetwork: factorsNetwork ? FactorsNetworkTarget(baseURL: server.factorsNetworkURL, user: SandboxConfiguration.defaultFactorsNetworkUser,
                                                                        password: SandboxConfiguration.defaultFactorsNetworkPassword) : nil)
    }

    /// A PENDING payment, so that update_payment_external has something to change.
    static func bookPendingPayment(_ api: TestAPI, _ filenumber: String) throws {
        let answer = try api.post("/insert_payments_external", [
            "filenumber": filenumber, "paymentdate": "2026-12-01", "payorname": "OLD PAYOR", "paymentmethod": "ACH", "paymentstatus": "PENDING",
            "typeofpayment": "Online", "checkaccountnumber": "9876543210", "checkroutingnumber": "011000015", "cardtype": "", "cardnumber": "",
            "threedigitnumber": "", "cardexpirationmonth": "", "cardexpirationyear": "", "cardexpirationdate": "", "paymentamount": "50.00",
            "checkaccounttype": "Checking", "acceptedfees": "0", "printed": "no", "invoice": "INV-\(filenumber)",
        ])
        #expect(answer["message"]?.stringValue == "Payment successfully inserted")
    }

    /// Input rows by row number, as column → value.
    static func inputRows() throws -> [Int: [String: String]] {
        let records = try readCSVRecords(repositoryPath("SampleData/account-maintenance.csv"))
        return Dictionary(uniqueKeysWithValues: records.enumerated().map { ($0.offset + 1, $0.element) })
    }

    static func auditLines(_ summary: RunSummary) throws -> [JSONValue] {
        try readGzipFile(summary.reportFolder + "/audit.jsonl.gz").split(separator: "\n").dropFirst().compactMap { JSONValue.parse(Data($0.utf8)) }
    }

    @Test func samplePipelineWritesEachThingAndItReadsBack() throws {
        let expected = try Expected()
        let (server, folder) = try startSampleSandbox()
        defer { server.stop() }
        let api = try TestAPI(baseURL: server.baseURL)
        for account in expected.pendingAccounts { try Self.bookPendingPayment(api, account) }
        let notesBefore = try server.store.query("SELECT COUNT(*) AS n FROM notes").first?["n"]?.intValue ?? 0

        let logs = LogCollector()
        var options = RunOptions()
        options.log = logs.logger()
        let summary = PipelineRunner(config: try Self.pipeline(reports: folder + "/reports"), target: Self.target(server), options: options).run()

        // Every row counted once, each as designed.
        #expect(summary.rowsRead == expected.rows)
        #expect(summary.written == expected.written)
        #expect(summary.unchanged == expected.unchanged)
        #expect(Dictionary(uniqueKeysWithValues: summary.rejectsByReason.map { ($0.key.rawValue, $0.value) }) == expected.rejected)
        #expect(summary.exitCode == .doneWithRejects)
        let rejects = try readCSVRecords(summary.reportFolder + "/rejects.csv.gz").filter { $0["_reject_kind"] == "reject" }
        let rejectedRows = Dictionary(uniqueKeysWithValues: rejects.map { (Int($0["_reject_row"]!)!, $0["_reject_reason"]!) })
        #expect(rejectedRows == expected.outcomes.filter { $0.value != "written" && $0.value != "unchanged" })

        // Rows that fail local validation made no call at all: not even a read.
        let audit = try Self.auditLines(summary)
        let input = try Self.inputRows()
        for (row, reason) in expected.outcomes where !Self.serverReasons.contains(reason) && reason != "written" && reason != "unchanged" {
            let account = input[row]!["Account"]!
            #expect(!audit.contains { $0["filenumber"]?.stringValue == account }, "row \(row) (\(reason)) made a call")
        }
        // Unchanged rows made reads only.
        for (row, outcome) in expected.outcomes where outcome == "unchanged" {
            let account = input[row]!["Account"]!
            let writes = audit.filter { $0["filenumber"]?.stringValue == account && !["getaccount", "getphones"].contains($0["endpoint"]?.stringValue ?? "") }
            #expect(writes.isEmpty, "row \(row) \(account) wrote \(writes.map { $0["endpoint"]?.stringValue ?? "" })")
        }
        // The server's own message is in the reject.
        #expect(rejects.contains { $0["_reject_message"]?.contains("No payment info found with filenumber R3016") == true })
        #expect(rejects.contains { $0["_reject_message"]?.contains("Debtor UUID should exist in the system.") == true })

        // What was written reads back.
        var scollectChanges = Set<String>()
        for (row, outcome) in expected.outcomes where outcome == "written" {
            let values = input[row]!
            let account = values["Account"]!
            func given(_ column: String) -> String? { values[column].flatMap { $0.isEmpty ? nil : $0 } }
            if let address = given("Address") {
                #expect(try api.account(account)["address"] == address.uppercased(), "\(account) address")
                scollectChanges.insert(account)
            }
            if let city = given("City") { #expect(try api.account(account)["city"] == city.uppercased()) }
            let phones = try api.get("/getphones/\(account)")["result"]?.arrayValue ?? []
            if let cell = given("New Cell") {
                #expect(phones.filter { $0["phonenumber"]?.stringValue == cell }.count == 1, "\(account) new cell")
                scollectChanges.insert(account)
            }
            if let phone = given("Phone") {
                let record = phones.first { $0["phonenumber"]?.stringValue == phone }
                // Compared ignoring case; sent as the file spells them (issue 18).
                if let status = given("Phone Status") { #expect(record?["phonestatus"]?.stringValue?.uppercased() == status.uppercased(), "\(account) \(phone) status") }
                if let type = given("Phone Type") { #expect(record?["phonetype"]?.stringValue?.uppercased() == type.uppercased(), "\(account) \(phone) type") }
                scollectChanges.insert(account)
            }
            if let dispo = given("Attempt Result") {
                let attempts = try api.get("/getattempts/\(account)")["result"]?.arrayValue ?? []
                #expect(attempts.contains { $0["dispo"]?.stringValue == dispo && $0["phonenumber"]?.stringValue == given("Attempt Phone") && $0["agent"]?.stringValue == given("Agent") },
                        "\(account) attempt")
                scollectChanges.insert(account)
            }
            if given("Registered Portal") != nil {
                #expect(try api.get("/getemailstats/\(account)")["result"]?.arrayValue?.first?["registeredportal"] == .number(1), "\(account) getemailstats")
                scollectChanges.insert(account)
            }
            for (column, field) in [("Can Text", "cantext"), ("Can Email", "canemail"), ("SIF Amount", "sifamount")] {
                guard let value = given(column) else { continue }
                let stored = try server.store.query("SELECT \(field) AS v FROM permissions WHERE filenumber = ?", [.string(account)]).first?["v"]?.stringValue
                let sent = ["yes": "1", "no": "0"][value.lowercased()] ?? value
                #expect(stored == sent, "\(account) \(field)")
                scollectChanges.insert(account)
            }
            if let day = given("Callback Date") {
                let callbacks = try server.store.query("SELECT * FROM callbacks WHERE FileNumber = ?", [.string(account)])
                #expect(callbacks.count == 1, "\(account) callback")
                #expect(callbacks.first?["Assignedto"]?.stringValue == given("Agent"))
                if day.contains("-") { #expect(callbacks.first?["Callbackdate"]?.stringValue == day) }
                scollectChanges.insert(account)
            }
            if let payor = given("Payor Name") {
                let payments = try server.store.query("SELECT payorname FROM payments WHERE filenumber = ? AND paymentstatus = 'PENDING'", [.string(account)])
                #expect(!payments.isEmpty && payments.allSatisfy { $0["payorname"]?.stringValue == payor }, "\(account) pending payments")
                scollectChanges.insert(account)
            }
            if let debtor = given("FN Debtor") {
                let notes = try server.store.query("SELECT * FROM fn_notes WHERE debtorUuid = ?", [.string(debtor)])
                #expect(notes.count == 1, "\(account) Factors Network note")
                #expect(notes.first?["noteType"]?.stringValue == given("FN Type")?.uppercased())
                #expect(notes.first?["creditorUuid"]?.stringValue == "710bc35a-d1f2-5678-b576-a15197909044")
                if let amount = given("FN Write Off") { #expect(notes.first?["writeOffAmount"]?.doubleValue == Double(amount)) }
                if given("FN Date") == "2025-09-21 7:10 PM" { #expect(notes.first?["creationDate"] == "2025-09-21 19:10:00") }
            }
        }
        // One summary note per account whose Scollect record changed, none for the others.
        for (row, _) in expected.outcomes {
            let account = input[row]!["Account"]!
            let notes = (try api.get("/getnotes/\(account)")["result"]?.arrayValue ?? []).filter { $0["collectorname"]?.stringValue == "LOADER" }
            #expect(notes.count == (scollectChanges.contains(account) ? 1 : 0), "\(account): \(notes.count) summary notes")
            if let own = input[row]!["Note"], !own.isEmpty, scollectChanges.contains(account) {
                #expect(notes.first?["logmessage"]?.stringValue?.contains(own) == true)
            }
        }
        #expect(try server.store.query("SELECT COUNT(*) AS n FROM notes WHERE collectorname = 'LOADER'").first?["n"]?.intValue == scollectChanges.count)
        #expect((try server.store.query("SELECT COUNT(*) AS n FROM notes").first?["n"]?.intValue ?? 0) > notesBefore)
        // The protected phone kept its status.
        #expect(try api.get("/getphones/R3005")["result"]?.arrayValue?.first?["phonestatus"]?.stringValue == "Disconnected")

        // No secret in any report or log.
        let basic = Data("\(SandboxConfiguration.defaultFactorsNetworkUser):\(SandboxConfiguration.defaultFactorsNetworkPassword)".utf8).base64EncodedString()
        let texts = [try readGzipFile(summary.reportFolder + "/audit.jsonl.gz"), try readGzipFile(summary.reportFolder + "/rejects.csv.gz"),
                     try String(contentsOfFile: summary.reportFolder + "/summary.json", encoding: .utf8), logs.lines.joined(separator: "\n")]
        for text in texts {
            for secret in [SandboxConfiguration.defaultFactorsNetworkPassword, basic, SandboxConfiguration.defaultAPIKey, "\"\(SandboxConfiguration.defaultPIN)\"", "eyJ"] {
                #expect(!text.contains(secret), "a secret in a report or log")
            }
        }
    }

    @Test func everyDocumentedErrorComesBackWithTheServersMessage() throws {
        let (server, _) = try startSampleSandbox()
        defer { server.stop() }
        let client = ScollectClient(baseURL: server.baseURL, credentials: Credentials(apikey: SandboxConfiguration.defaultAPIKey, pin: SandboxConfiguration.defaultPIN),
                                    limiter: RateLimiter(ratePerSecond: 1000), audit: nil)
        let target = Self.target(server).factorsNetwork!
        client.factorsNetwork = FactorsNetworkClient(target: target, limiter: RateLimiter(ratePerSecond: 1000), audit: nil)
        let http = CurlHTTPClient()
        func send(_ method: String, _ path: String, _ body: JSONValue, service: APIService = .scollect) throws -> ResponseClass {
            try client.perform(APICall(method: method, endpoint: path, path: path, body: body, filenumber: nil, idempotent: false, service: service), using: http).classification
        }
        let notFound = ResponseClass.errorInBody(message: "Data not found for this filenumber", code: 400)
        #expect(try send("POST", "/InsertNoteline", .strings([("filenumber", "R9999"), ("collectorname", "X"), ("logmessage", "x")])) == notFound)
        #expect(try send("POST", "/insertattempt", .strings([("phonenumber", "123-456-7890"), ("dispo", "X"), ("agent", "a"), ("type", "MANUAL"), ("filenumber", "R9999")])) == notFound)
        #expect(try send("PUT", "/updatephone", .strings([("filenumber", "R3001"), ("phonenumber", "470-555-0155")]))
                == .errorInBody(message: "You need to provide at least one field to update", code: 400))
        #expect(try send("PUT", "/updatepermissions", .strings([("filenumber", "R9999"), ("fieldname", "callspouse"), ("fieldvalue", "1")]))
                == .errorInBody(message: "Data not found for this filenumber", code: nil))
        #expect(try send("POST", "/createCallback", .strings([("FileNumber", "R9999"), ("Name", "X"), ("Assignedto", "a"), ("Callbackdate", "2025-03-17"),
                                                              ("Callbacktime", "1:43PM"), ("Callbackdatemysql", "2025-03-17")])) == .emptyResult)
        #expect(try send("POST", "/update_payment_external", .strings([("filenumber", "R3001")]))
                == .timeoutState(status: "At least one update field must be provided."))
        #expect(try send("POST", "/update_payment_external", .strings([("filenumber", "R3001"), ("payorname", "X")]))
                == .errorInBody(message: "No payment info found with filenumber R3001", code: 400))
        let creditor = "710bc35a-d1f2-5678-b576-a15197909044"
        func note(_ debtor: String, _ fields: [(String, String)]) throws -> ResponseClass {
            try send("POST", "/api/debtors/\(debtor)/notes.json", .strings(fields), service: .factorsNetwork)
        }
        #expect(try note("0b0b0b0b-1111-4222-8333-444455556666", [("creditor", creditor), ("type", "SLOW_PAY")])
                == .httpError(status: 404, message: "Debtor UUID should exist in the system."))
        #expect(try note("dd1c6e63-7680-4d06-34f6-44d293694bba", [("creditor", "00000000-0000-4000-8000-000000000000"), ("type", "SLOW_PAY")])
                == .httpError(status: 400, message: "Creditor UUID should exist in the system."))
        #expect(try note("dd1c6e63-7680-4d06-34f6-44d293694bba", [("creditor", "e9b28a28-417f-4a9d-ad79-616f3d770ec2"), ("type", "SLOW_PAY")])
                == .httpError(status: 403, message: "The authenticating user must be associated with the creditor."))
        guard case let .httpError(400, message) = try note("dd1c6e63-7680-4d06-34f6-44d293694bba", [("creditor", creditor), ("type", "LATE_PAY")]) else {
            Issue.record("an unknown type is not a 400")
            return
        }
        #expect(message.hasPrefix("The type can be ADDRESS_CHANGE"))
        // Refused credentials stop the run rather than reject each row.
        let wrong = FactorsNetworkClient(target: FactorsNetworkTarget(baseURL: target.baseURL, user: target.user, password: "wrong"),
                                         limiter: RateLimiter(ratePerSecond: 1000), audit: nil)
        #expect(throws: ClientError.self) {
            _ = try wrong.perform(APICall(method: "POST", endpoint: "n", path: "/api/debtors/dd1c6e63-7680-4d06-34f6-44d293694bba/notes.json",
                                          body: .strings([("creditor", creditor), ("type", "SLOW_PAY")]), filenumber: nil, idempotent: false, service: .factorsNetwork), using: http)
        }
        #expect(try server.store.query("SELECT COUNT(*) AS n FROM fn_notes").first?["n"] == 0)
    }

    @Test func aFactorsNetworkNoteWhoseAnswerWasLostIsNeverSentAgain() throws {
        let (server, folder) = try startSampleSandbox()
        defer { server.stop() }
        let input = folder + "/fn.csv"
        let header = try String(contentsOfFile: repositoryPath("SampleData/account-maintenance.csv"), encoding: .utf8).split(separator: "\r\n")[0]
        let rows = try Self.inputRows().filter { ($0.value["FN Type"] ?? "") == "SLOW_PAY" && $0.value["FN Debtor"]?.count == 36 && $0.value["Account"] == "R3010" }
        #expect(rows.count == 1)
        let columns = header.split(separator: ",").map(String.init)
        try ([String(header)] + rows.values.map { row in columns.map { row[$0] ?? "" }.joined(separator: ",") }).joined(separator: "\r\n")
            .write(toFile: input, atomically: true, encoding: .utf8)
        try TestAPI(baseURL: server.baseURL, login: false).configure(["drop_after_commit": 1])
        var options = RunOptions()
        options.inputOverride = input
        let summary = PipelineRunner(config: try Self.pipeline(reports: folder + "/reports"), target: Self.target(server), options: options).run()
        #expect(summary.rejectsByReason[.outcomeUnknown] == 1)
        #expect(summary.callsByEndpoint["factors_network_note"] == 1, "sent once, never again")
        #expect(try server.store.query("SELECT COUNT(*) AS n FROM fn_notes").first?["n"] == 1, "the note is there once")
    }

    /// Notes, attempts, callbacks, permissions and Factors Network notes have nothing to compare
    /// with: the journal makes them once per row of a file, so a forced or resumed run repeats none.
    @Test func aSecondRunOfTheSameFileRepeatsNoInsert() throws {
        let expected = try Expected()
        let (server, folder) = try startSampleSandbox()
        defer { server.stop() }
        let api = try TestAPI(baseURL: server.baseURL)
        for account in expected.pendingAccounts { try Self.bookPendingPayment(api, account) }
        let journalTarget = { (server: SandboxServer) -> RunTarget in
            let plain = Self.target(server)
            return RunTarget(baseURL: plain.baseURL, credentials: plain.credentials, description: plain.description,
                             journalPath: folder + "/journal.sqlite", factorsNetwork: plain.factorsNetwork)
        }
        let config = try Self.pipeline(reports: folder + "/reports")
        let first = PipelineRunner(config: config, target: journalTarget(server)).run()
        let inserts = ["InsertNoteline", "insertattempt", "createCallback", "factors_network_note", "updatepermissions", "update_payment_external"]
        #expect(inserts.allSatisfy { (first.callsByEndpoint[$0] ?? 0) > 0 }, "\(first.callsByEndpoint)")
        let stored = try ["notes", "attempts", "callbacks", "fn_notes"].map { try server.store.query("SELECT COUNT(*) AS n FROM \($0)").first?["n"]?.intValue ?? -1 }

        var options = RunOptions()
        options.force = true
        let second = PipelineRunner(config: config, target: journalTarget(server), options: options).run()
        // Only what the server refused the first time is tried again (and refused again).
        let refusedFirst = Set(try Self.auditLines(first).filter { $0["outcome"]?.stringValue != "success" }.compactMap { $0["endpoint"]?.stringValue })
        for endpoint in inserts where !refusedFirst.contains(endpoint) { #expect(second.callsByEndpoint[endpoint] == nil, "\(endpoint) sent again") }
        #expect(try Self.auditLines(second).filter { inserts.contains($0["endpoint"]?.stringValue ?? "") }.allSatisfy { $0["outcome"]?.stringValue != "success" })
        #expect(second.written == 0)
        #expect(try ["notes", "attempts", "callbacks", "fn_notes"].map { try server.store.query("SELECT COUNT(*) AS n FROM \($0)").first?["n"]?.intValue ?? -1 } == stored)
    }

    @Test func aFactorsNetworkWriterWithoutAFactorsNetworkTargetStopsBeforeAnyCall() throws {
        let (server, folder) = try startSampleSandbox()
        defer { server.stop() }
        let summary = PipelineRunner(config: try Self.pipeline(reports: folder + "/reports"), target: Self.target(server, factorsNetwork: false)).run()
        #expect(summary.exitCode == .badPipelineOrArguments)
        #expect(summary.abortReason?.contains("FACTORS_NETWORK_URL") == true)
        #expect(summary.callsByEndpoint.isEmpty)
    }
}
