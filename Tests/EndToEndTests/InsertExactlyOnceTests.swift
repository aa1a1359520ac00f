import Foundation
import ScollectETL
import ScollectSandbox
import ScollectTestSupport
import Testing

/// Every insert endpoint under every shape of "committed, then no answer that proves it": run,
/// the same command again, then `--force`. Inserts a read lists (phones, notes, attempts) end
/// with exactly the records a clean run leaves; those no read lists (callbacks, Factors Network
/// notes) with at most those, and every one missing is a row reported `OUTCOME_UNKNOWN`.
@Suite(.serialized)
struct InsertExactlyOnceTests {
    /// One insert writer of `Pipelines/account-maintenance.yml` at a time, so that a row's
    /// other writes do not hide what this one did.
    enum Endpoint: String, CaseIterable, Sendable {
        case insertphone, insertattempt, InsertNoteline, createCallback, factors_network_note

        var writer: String {
            switch self {
            case .insertphone: return "  - insertphone:\n      phones:\n        - { field: new_cell, type: CELL }\n"
            case .insertattempt:
                return "  - insertattempt:\n      phonenumber: { field: attempt_phone }\n      dispo: { field: attempt_result }\n      agent: { field: agent }\n      type: MANUAL\n"
            case .InsertNoteline: return "  - InsertNoteline:\n      collectorname: LOADER\n      logmessage: { field: note }\n"
            case .createCallback:
                return "  - createCallback:\n      date: { field: callback_date }\n      time: { field: callback_time }\n      assignedto: { field: agent }\n"
            case .factors_network_note:
                return """
                  - factors_network_note:
                      debtor: { field: fn_debtor }
                      creditor: 710bc35a-d1f2-5678-b576-a15197909044
                      type: { field: fn_type }
                      note: { field: fn_note }
                      writeOffAmount: { field: fn_write_off }
                      createdDate: { field: fn_date }

                """
            }
        }

        /// Whether a read lists what it writes (then exactly once; else at most once).
        var hasRead: Bool { ![.createCallback, .factors_network_note].contains(self) }

        /// What the server holds of this endpoint's records, by account (or debtor).
        func records(_ server: SandboxServer) throws -> [String: [String]] {
            let sql: String
            switch self {
            case .insertphone: sql = "SELECT filenumber AS k, phonenumber AS v FROM phones"
            case .insertattempt: sql = "SELECT filenumber AS k, phonenumber || '|' || dispo || '|' || agent || '|' || type AS v FROM attempts"
            case .InsertNoteline: sql = "SELECT filenumber AS k, collectorname || '|' || logmessage AS v FROM notes"
            case .createCallback: sql = "SELECT FileNumber AS k, Callbackdate || ' ' || Callbacktime || ' ' || Assignedto AS v FROM callbacks"
            case .factors_network_note: sql = "SELECT debtorUuid AS k, noteType || ' ' || COALESCE(writeOffAmount, '') AS v FROM fn_notes"
            }
            var records: [String: [String]] = [:]
            for row in try server.store.query(sql) {
                records[(row["k"]?.stringValue ?? "").uppercased(), default: []].append(row["v"]?.stringValue ?? "")
            }
            return records.mapValues { $0.sorted() }
        }
    }

    static func pipeline(_ endpoint: Endpoint, folder: String) throws -> PipelineConfig {
        let text = try String(contentsOfFile: repositoryPath("Pipelines/account-maintenance.yml"), encoding: .utf8)
        let writers = text.range(of: "\nwriters:\n")!
        let target = text.range(of: "\ntarget:\n")!
        let yaml = String(text[..<writers.upperBound]) + endpoint.writer + String(text[target.lowerBound...])
        let file = repositoryPath("Pipelines/.insert-\(endpoint.rawValue)-\(UUID().uuidString.prefix(8)).yml")
        try yaml.write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        var config = try PipelineLoader.load(path: file)
        config.reportsFolder = folder + "/reports"
        config.target.requestsPerSecond = 2000
        return config
    }

    static func run(_ config: PipelineConfig, _ server: SandboxServer, journal: String, force: Bool = false) -> RunSummary {
        let plain = AccountMaintenanceTests.target(server)
        let target = RunTarget(baseURL: plain.baseURL, credentials: plain.credentials, description: plain.description,
                               journalPath: journal, factorsNetwork: plain.factorsNetwork)
        var options = RunOptions()
        options.force = force
        return PipelineRunner(config: config, target: target, options: options).run()
    }

    /// The server after a clean run of the endpoint's pipeline.
    static func cleanRecords(_ endpoint: Endpoint) throws -> [String: [String]] {
        let (server, folder) = try startSampleSandbox()
        defer { server.stop() }
        let summary = run(try pipeline(endpoint, folder: folder), server, journal: folder + "/journal.sqlite")
        #expect(summary.written > 0, "\(endpoint) wrote nothing on a clean run")
        return try endpoint.records(server)
    }

    @Test(arguments: Endpoint.allCases)
    func eachInsertLandsOnceUnderEveryFault(_ endpoint: Endpoint) throws {
        let clean = try Self.cleanRecords(endpoint)
        for fault in AfterCommitFault.allCases {
            let (server, folder) = try startSampleSandbox(faultSeed: 5)
            defer { server.stop() }
            let before = try endpoint.records(server)
            let config = try Self.pipeline(endpoint, folder: folder)
            let journal = folder + "/journal.sqlite"
            server.setShare(0.3, of: fault)
            let first = Self.run(config, server, journal: journal)
            let again = Self.run(config, server, journal: journal)
            let forced = Self.run(config, server, journal: journal, force: true)
            server.setShare(0, of: fault)
            #expect([.done, .doneWithRejects].contains(first.exitCode), "\(endpoint) \(fault): \(first.abortReason ?? "")")
            if first.rowsToRetry == 0 {
                #expect(again.exitCode == .inputHeld, "\(endpoint) \(fault): the same file again is refused")
            } else {
                // Rows left to retry (outcomes unknown): the same command resumes them and reads the
                // first run's rejects again (so that its report has every reject); the rows written
                // or unchanged are not read again.
                #expect([.done, .doneWithRejects].contains(again.exitCode), "\(endpoint) \(fault): \(again.abortReason ?? "")")
                #expect(again.settledEarlier > 0 && (again.callsByEndpoint["getaccount"] ?? 0) <= first.rejected,
                        "\(endpoint) \(fault): rows settled by the first run are not read again (\(again.callsByEndpoint))")
            }
            #expect([.done, .doneWithRejects].contains(forced.exitCode), "\(endpoint) \(fault): \(forced.abortReason ?? "")")
            let after = try endpoint.records(server)
            #expect(after != before, "\(endpoint) \(fault): nothing written")
            let unknown = try Set([first, again, forced].filter { !$0.reportFolder.isEmpty }.flatMap { summary in
                try readCSVRecords(summary.reportFolder + "/rejects.csv.gz")
                    .filter { $0["_reject_reason"] == "OUTCOME_UNKNOWN" }
                    .map { (endpoint == .factors_network_note ? $0["FN Debtor"] : $0["Account"])?.uppercased() ?? "" }
            })
            for key in Set(clean.keys).union(after.keys) {
                let want = clean[key] ?? [], got = after[key] ?? []
                if endpoint.hasRead {
                    #expect(got == want, "\(endpoint) \(fault) \(key): \(got) on the server, a clean run leaves \(want)")
                } else {
                    // At most once; fewer only where the run said it could not tell.
                    #expect(Set(got).isSubset(of: Set(want)) && got.count == Set(got).count, "\(endpoint) \(fault) \(key): \(got) against \(want)")
                    if got.count < want.count { #expect(unknown.contains(key), "\(endpoint) \(fault) \(key) is missing and was not reported OUTCOME_UNKNOWN") }
                }
            }
        }
    }

    /// The operator's side of an unknown callback: look at the account, `settle` each row as
    /// found, run the same command again; the server ends as after a clean run.
    @Test func settlingUnknownCallbacksByHandCompletesTheFile() throws {
        let endpoint = Endpoint.createCallback
        let clean = try Self.cleanRecords(endpoint)
        let (server, folder) = try startSampleSandbox(faultSeed: 2, serverErrorShare: 0.3)
        defer { server.stop() }
        var config = try Self.pipeline(endpoint, folder: folder)
        config.target.maxInFlight = 1  // one request at a time: the seed names the faults each callback meets
        let journal = folder + "/journal.sqlite"
        server.setShare(0.7, of: .close)
        let first = Self.run(config, server, journal: journal)
        server.setShare(0, of: .close)
        let unknown = try readCSVRecords(first.reportFolder + "/rejects.csv.gz").filter { $0["_reject_reason"] == "OUTCOME_UNKNOWN" }
        #expect(!unknown.isEmpty, "some callbacks were lost: \(first.rejectsByReason) \(first.callsByEndpoint) closed \(server.stats.count(of: .close)) \(first.abortReason ?? "")")
        var absent = 0
        for reject in unknown {
            let account = reject["Account"]!.uppercased()
            // What an operator sees on the account: the file's callback is there, or not.
            let found = (try endpoint.records(server)[account] ?? []).count == (clean[account] ?? []).count
            if !found { absent += 1 }
            let settle = try CommandLineTests().run(["settle", first.runId, reject["_reject_row"]!, "--as", found ? "confirmed" : "absent", "--journal", journal],
                                                    environment: [:], in: folder)
            #expect(settle.status == 0, "\(settle.stderr)")
        }
        try TestAPI(baseURL: server.baseURL, login: false).configure(["http_500": 0])
        #expect(absent > 0 && absent < unknown.count, "both findings are exercised: \(absent) absent of \(unknown.count)")
        let again = Self.run(config, server, journal: journal)
        #expect(again.rowsToRetry == 0, "\(again.rejectsByReason)")
        #expect((again.callsByEndpoint["createCallback"] ?? 0) == absent, "only the callbacks found absent are sent")
        #expect(try endpoint.records(server) == clean)
    }
}
