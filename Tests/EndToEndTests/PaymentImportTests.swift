import Foundation
import ScollectETL
import ScollectSandbox
import ScollectTestSupport
import Testing

/// The sample payment files, imported over real HTTP into a real sandbox through the run
/// journal, then read back with `getpayments`.
@Suite(.serialized)
struct PaymentImportTests {
    /// What `Scripts/make_payment_samples.py` says a correct import produces.
    struct Expected {
        let rows: Int
        let rejectedRows: [Int: String]
        /// Account → payments the import must add.
        let booked: [String: [PaymentKey: Int]]
        let bookedCount: Int

        init(_ section: String) throws {
            let data = try Data(contentsOf: URL(fileURLWithPath: repositoryPath("SampleData/payments.expected.json")))
            let json = (try JSONSerialization.jsonObject(with: data) as! [String: Any])[section] as! [String: Any]
            rows = json["rows"] as! Int
            rejectedRows = Dictionary(uniqueKeysWithValues: (json["rejected_rows"] as! [[String: Any]]).map { ($0["row"] as! Int, $0["reason"] as! String) })
            var booked: [String: [PaymentKey: Int]] = [:]
            var count = 0
            for entry in json["booked"] as! [[String: Any]] {
                let filenumber = entry["filenumber"] as! String
                let items = (entry["installments"] as? [[String: Any]]) ?? [entry]
                for item in items {
                    booked[filenumber, default: [:]][PaymentKey(date: item["date"] as! String, cents: item["cents"] as! Int), default: 0] += 1
                }
                count += 1
            }
            self.booked = booked
            bookedCount = count
        }
    }

    static func pipeline(_ name: String, reports: String) throws -> PipelineConfig {
        var config = try PipelineLoader.load(path: repositoryPath("Pipelines/\(name).yml"))
        config.reportsFolder = reports
        config.target.requestsPerSecond = 2000
        return config
    }

    static func run(_ config: PipelineConfig, against server: SandboxServer, journal: String, input: String? = nil, force: Bool = false) -> RunSummary {
        let target = RunTarget(baseURL: server.baseURL, credentials: Credentials(apikey: SandboxConfiguration.defaultAPIKey, pin: SandboxConfiguration.defaultPIN),
                               description: "test sandbox \(server.baseURL)", journalPath: journal)
        var options = RunOptions()
        options.inputOverride = input
        options.force = force
        return PipelineRunner(config: config, target: target, options: options).run()
    }

    /// Payments on the server now, for the given accounts.
    static func serverPayments(_ api: TestAPI, _ accounts: some Sequence<String>) throws -> [String: [PaymentKey: Int]] {
        var result: [String: [PaymentKey: Int]] = [:]
        for account in accounts { result[account] = try api.paymentCounts(account) }
        return result
    }

    /// Exactly the expected payments were added: none lost, none doubled.
    static func expectBookedOnce(_ expected: Expected, before: [String: [PaymentKey: Int]], after: [String: [PaymentKey: Int]]) {
        for (account, added) in expected.booked {
            var wanted = before[account] ?? [:]
            for (key, count) in added { wanted[key, default: 0] += count }
            #expect(after[account] == wanted, "\(account): server has \(after[account] ?? [:]), expected \(wanted)")
        }
    }

    /// Every card number of an input file (13+ digit runs in its card column).
    static func cardNumbers(in file: String, column: String) throws -> [String] {
        try readCSVRecords(repositoryPath(file)).compactMap { $0[column] }.filter { $0.count >= 13 }
    }

    /// Reports and journal hold no full card number and no CVV value.
    static func expectNoCardData(reports folder: String, journal: String, cards: [String]) throws {
        var texts: [(String, String)] = []
        for file in ["rejects.csv.gz", "audit.jsonl.gz"] { texts.append((file, try readGzipFile(folder + "/" + file))) }
        texts.append(("summary.json", try String(contentsOfFile: folder + "/summary.json", encoding: .utf8)))
        // The journal's pages and write-ahead log, as bytes.
        for suffix in ["", "-wal"] where FileManager.default.fileExists(atPath: journal + suffix) {
            texts.append(("journal" + suffix, String(decoding: try Data(contentsOf: URL(fileURLWithPath: journal + suffix)), as: UTF8.self)))
        }
        for (name, text) in texts {
            for card in cards { #expect(!text.contains(card), "\(name) holds a full card number") }
            #expect(text.firstMatch(of: /threedigitnumber\\?"\s*:\s*\\?"\d/) == nil, "\(name) holds a CVV")
        }
        for record in try readCSVRecords(folder + "/rejects.csv.gz") { #expect(record["CVV"] ?? "" == "", "the rejects report leaves CVVs out") }
    }

    @Test func bulkPaymentsAreBookedOnceAndASecondRunBooksNothing() throws {
        let expected = try Expected("payments")
        let (server, folder) = try startSampleSandbox()
        defer { server.stop() }
        let api = try TestAPI(baseURL: server.baseURL)
        let before = try Self.serverPayments(api, expected.booked.keys)
        let journal = folder + "/journal.sqlite"
        let config = try Self.pipeline("bulk-payments", reports: folder + "/reports")

        let first = Self.run(config, against: server, journal: journal)
        #expect(first.rowsRead == expected.rows)
        #expect(first.written == expected.bookedCount)
        #expect(first.rejected == expected.rejectedRows.count)
        #expect(first.written + first.unchanged + first.rejected == first.rowsRead)
        #expect(first.callsByEndpoint["insert_payments_external"] == expected.bookedCount, "no call for a row checked out before sending")
        Self.expectBookedOnce(expected, before: before, after: try Self.serverPayments(api, expected.booked.keys))
        let rejects = try readCSVRecords(first.reportFolder + "/rejects.csv.gz").filter { $0["_reject_kind"] == "reject" }
        #expect(Dictionary(uniqueKeysWithValues: rejects.map { (Int($0["_reject_row"]!)!, $0["_reject_reason"]!) }) == expected.rejectedRows)

        // The same file again is refused; forced, every payment is found booked in the journal
        // and nothing is sent.
        let refused = Self.run(config, against: server, journal: journal)
        #expect(refused.exitCode == .inputHeld && refused.callsMade == 0)
        let second = Self.run(config, against: server, journal: journal, force: true)
        #expect(second.written == 0)
        #expect(second.alreadyBooked == expected.bookedCount)
        #expect(second.rejected == expected.rejectedRows.count)
        #expect(second.callsByEndpoint["insert_payments_external"] == nil)
        Self.expectBookedOnce(expected, before: before, after: try Self.serverPayments(api, expected.booked.keys))

        let cards = try Self.cardNumbers(in: "SampleData/payments.csv", column: "Card Number")
        #expect(cards.count > 20)
        try Self.expectNoCardData(reports: first.reportFolder, journal: journal, cards: cards)
        #expect(fileMode(journal) == 0o600)
    }

    @Test func aReferenceBookedFromAnotherFileIsRefusedNamingTheEarlierRun() throws {
        let (server, folder) = try startSampleSandbox()
        defer { server.stop() }
        let journal = folder + "/journal.sqlite"
        let config = try Self.pipeline("bulk-payments", reports: folder + "/reports")
        let first = Self.run(config, against: server, journal: journal)

        // The client re-sends row 2 next day, in a file of its own, with another date.
        let lines = try String(contentsOfFile: repositoryPath("SampleData/payments.csv"), encoding: .utf8).components(separatedBy: "\r\n")
        var resent = lines[1].components(separatedBy: ",")
        resent[1] = "2026-11-21"
        let file = folder + "/payments-resent.csv"
        try (lines[0] + "\r\n" + resent.joined(separator: ",") + "\r\n").write(toFile: file, atomically: true, encoding: .utf8)
        let second = Self.run(config, against: server, journal: journal, input: file)
        #expect(second.rejectsByReason[.duplicatePayment] == 1)
        #expect(second.callsByEndpoint["insert_payments_external"] == nil)
        let message = try readCSVRecords(second.reportFolder + "/rejects.csv.gz").first?["_reject_message"] ?? ""
        #expect(message.contains(first.runId) && message.contains("payments.csv row 1"), "names the earlier run: \(message)")
    }

    @Test func answersLostAfterTheServerBookedAreReconciledNotResent() throws {
        let expected = try Expected("payments")
        let (server, folder) = try startSampleSandbox(dropAfterCommit: 0.3, faultSeed: 42)
        defer { server.stop() }
        let api = try TestAPI(baseURL: server.baseURL)
        let before = try Self.serverPayments(api, expected.booked.keys)
        let summary = Self.run(try Self.pipeline("bulk-payments", reports: folder + "/reports"), against: server, journal: folder + "/journal.sqlite")
        #expect(summary.written == expected.bookedCount)
        #expect(summary.rejectsByReason[.outcomeUnknown] == nil)
        #expect(summary.callsByEndpoint["insert_payments_external"] == expected.bookedCount, "a dropped answer is never followed by a resend")
        let audit = try readGzipFile(summary.reportFolder + "/audit.jsonl.gz")
        #expect(audit.contains("transport_error"), "the fault dropped some answers")
        Self.expectBookedOnce(expected, before: before, after: try Self.serverPayments(api, expected.booked.keys))
    }

    @Test func paymentPlansAreOneCallPerAccountAndBookedOnce() throws {
        let expected = try Expected("plans")
        let (server, folder) = try startSampleSandbox()
        defer { server.stop() }
        let api = try TestAPI(baseURL: server.baseURL)
        let before = try Self.serverPayments(api, expected.booked.keys)
        let journal = folder + "/journal.sqlite"
        var config = try Self.pipeline("payment-plans", reports: folder + "/reports")
        config.target.batchSize = 5 // plans straddle batch boundaries: an account's rows still go together

        let first = Self.run(config, against: server, journal: journal)
        #expect(first.rowsRead == expected.rows)
        #expect(first.callsByEndpoint["insert_payplan_external"] == expected.bookedCount)
        #expect(first.rejected == expected.rejectedRows.count)
        let rejects = try readCSVRecords(first.reportFolder + "/rejects.csv.gz").filter { $0["_reject_kind"] == "reject" }
        #expect(Dictionary(uniqueKeysWithValues: rejects.map { (Int($0["_reject_row"]!)!, $0["_reject_reason"]!) }) == expected.rejectedRows)
        Self.expectBookedOnce(expected, before: before, after: try Self.serverPayments(api, expected.booked.keys))

        let second = Self.run(config, against: server, journal: journal)
        #expect(second.callsByEndpoint["insert_payplan_external"] == nil)
        #expect(second.written == 0)
        Self.expectBookedOnce(expected, before: before, after: try Self.serverPayments(api, expected.booked.keys))
        try Self.expectNoCardData(reports: first.reportFolder, journal: journal,
                                  cards: try Self.cardNumbers(in: "SampleData/payment-plans.csv", column: "Card Number"))
    }
}
