import Foundation
import ScollectETL
import ScollectSandbox
import ScollectTestSupport
import Testing

/// The nightly placement as a maintenance job on live accounts: only changed fields are
/// written, broken files are held before any call, the creditor gets an acknowledgement, and
/// a run can be rolled back. Real files, real HTTP to the sandbox, reports read back.
@Suite(.serialized)
struct PlacementMaintenanceTests {
    struct Setup {
        let server: SandboxServer
        let folder: String
        let target: RunTarget
        let api: TestAPI
    }

    func start() throws -> Setup {
        let (server, folder) = try startSampleSandbox()
        var target = RunTarget(baseURL: server.baseURL, credentials: Credentials(apikey: SandboxConfiguration.defaultAPIKey, pin: SandboxConfiguration.defaultPIN),
                               description: "test sandbox \(server.baseURL)", journalPath: folder + "/journal.sqlite")
        // SSNs are restorable only with a journal key (`JournalProtectionTests`, `JournalAtRestTests`).
        target.journalKey = try testJournalKey()
        return Setup(server: server, folder: folder, target: target, api: try TestAPI(baseURL: server.baseURL))
    }

    func pipeline(_ setup: Setup, edit: (String) -> String = { $0 }) throws -> PipelineConfig {
        var text = try String(contentsOfFile: repositoryPath("Pipelines/nightly-placement.yml"), encoding: .utf8)
        // The sample's own protect/checks/acknowledgement sections out: each test adds its own.
        text = text.replacingOccurrences(of: #"(?m)^(protect|checks|acknowledgement):\n(  .*\n)*"#, with: "", options: .regularExpression)
        text = edit(text.replacingOccurrences(of: "requests_per_second: 200", with: "requests_per_second: 2000"))
        let path = repositoryPath("Pipelines") + "/.test-\(UUID().uuidString).yml"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        var config = try PipelineLoader.load(path: path)
        config.reportsFolder = setup.folder + "/reports"
        return config
    }

    func run(_ config: PipelineConfig, _ setup: Setup, input: String? = nil, force: Bool = false) -> RunSummary {
        var options = RunOptions()
        options.inputOverride = input
        options.force = force
        return PipelineRunner(config: config, target: setup.target, options: options).run()
    }

    /// The audit's API calls (the header line left out).
    func auditCalls(_ summary: RunSummary) throws -> [[String: Any]] {
        try readGzipFile(summary.reportFolder + "/audit.jsonl.gz").split(separator: "\n").compactMap {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }.filter { $0["type"] == nil }
    }

    var fastRollback: RollbackRunner.Options {
        var options = RollbackRunner.Options()
        options.requestsPerSecond = 2000
        return options
    }

    /// Requests the sandbox answered since its statistics were reset.
    func admittedRequests(_ api: TestAPI) throws -> Int {
        try api.stats()["admitted"]?.stringValue.flatMap(Int.init) ?? -1
    }

    struct AccountState: Equatable {
        var fields: [String: String]
        var phones: Set<String>
    }

    func states(of filenumbers: [String], _ api: TestAPI) throws -> [String: AccountState] {
        var result: [String: AccountState] = [:]
        for filenumber in filenumbers {
            let fields = try api.account(filenumber)
            if !fields.isEmpty { result[filenumber] = AccountState(fields: fields, phones: Set(try api.phones(filenumber))) }
        }
        return result
    }

    func sampleFilenumbers() throws -> [String] {
        try readCSVRecords(repositoryPath("SampleData/placement.csv")).compactMap { $0["Account Number"]?.trimmingCharacters(in: .whitespaces).uppercased() }
            .filter { !$0.isEmpty }
    }

    /// The fields whose meaning changed between two states, compared through the pipeline's normalisers.
    func changedFields(_ before: [String: AccountState], _ after: [String: AccountState], _ config: PipelineConfig) -> Set<String> {
        var changed = Set<String>()
        for (filenumber, old) in before {
            let new = after[filenumber]!
            for field in Set(old.fields.keys).union(new.fields.keys) {
                let normalizer = config.normalizations[field]?.normalizer
                if !FieldComparison.same(old.fields[field], new.fields[field], normalizer: normalizer) { changed.insert("\(filenumber).\(field)") }
            }
        }
        return changed
    }

    @Test func firstRunWritesExactlyTheChangesSecondRunWritesNothingAndRollbackRestores() throws {
        let setup = try start()
        defer { setup.server.stop() }
        let config = try pipeline(setup)
        let filenumbers = try sampleFilenumbers()
        let before = try states(of: filenumbers, setup.api)

        let first = run(config, setup)
        #expect(first.exitCode == .doneWithRejects)
        let after = try states(of: filenumbers, setup.api)
        let changed = changedFields(before, after, config)
        let newPhones = before.reduce(0) { $0 + after[$1.key]!.phones.subtracting($1.value.phones).count }

        // The audit proves it: one updatedbase per changed field, one insertphone per new phone.
        let calls = try auditCalls(first)
        let updates = calls.filter { $0["endpoint"] as? String == "updatedbase" }
        let inserts = calls.filter { $0["endpoint"] as? String == "insertphone" }
        #expect(updates.count == changed.count)
        #expect(inserts.count == newPhones)
        let updated = Set(updates.map { call -> String in
            let body = call["request"] as? [String: Any]
            return "\(call["filenumber"] as? String ?? "").\(body?["fieldname"] as? String ?? "")"
        })
        #expect(updated == changed, "every updatedbase changed its field, and every changed field had one")
        #expect(changed.count > 100 && newPhones > 100)

        // The same file again: refused without --force, and with it, reads only.
        try setup.api.resetStats()
        let refused = run(config, setup)
        #expect(refused.exitCode == .inputHeld)
        #expect(refused.abortReason?.contains("already loaded by run \(first.runId)") == true)
        #expect(try admittedRequests(setup.api) == 0, "a refused file makes no call, not even login")
        let second = run(config, setup, force: true)
        let writes = try auditCalls(second).filter { ["updatedbase", "insertphone"].contains($0["endpoint"] as? String ?? "") }
        #expect(writes.isEmpty)
        #expect(second.written == 0 && second.unchanged == first.written + first.unchanged)

        // The run is listed with its id; rolling it back restores every field it changed.
        let journal = try RunJournal(path: setup.target.journalPath!, key: setup.target.journalKey)
        #expect(try journal.runs().contains { $0.runId == first.runId && $0.exitCode == 1 })
        let report = RollbackRunner(journal: journal, runId: first.runId, target: setup.target, options: fastRollback).run(reportFolder: setup.folder + "/rollbacks")
        #expect(report.exitCode == .done, "\(report.abortReason ?? "")")
        #expect(report.restoredCount == changed.count)
        #expect(report.notUndone.count == newPhones, "inserted phones are listed, not undone")
        let restored = try states(of: filenumbers, setup.api)
        #expect(changedFields(before, restored, config).isEmpty, "every touched account is back to its values before the run")
        #expect(try readGzipFile(report.auditPath!).contains("\"updatedbase\""))
    }

    @Test func rollbackLeavesFieldsChangedSinceAndReportsThem() throws {
        let setup = try start()
        defer { setup.server.stop() }
        let config = try pipeline(setup)
        let first = run(config, setup)
        let journal = try RunJournal(path: setup.target.journalPath!, key: setup.target.journalKey)
        let change = try #require(RollbackRunner.fieldChanges(try journal.changes(runId: first.runId)).first { $0.field == "city" })
        _ = try setup.api.post("/updatedbase", ["filenumber": change.filenumber, "fieldname": "city", "fieldvalue": "CHANGED BY A COLLECTOR"], method: "PUT")

        let report = RollbackRunner(journal: journal, runId: first.runId, target: setup.target, options: fastRollback).run(reportFolder: setup.folder + "/rollbacks")
        #expect(report.exitCode == .doneWithRejects)
        #expect(report.changedSince.map { "\($0.0.filenumber).\($0.0.field)" } == ["\(change.filenumber).city"])
        #expect(try setup.api.account(change.filenumber)["city"] == "CHANGED BY A COLLECTOR")
        // A second rollback finds everything already back.
        let again = RollbackRunner(journal: journal, runId: first.runId, target: setup.target, options: fastRollback).run(reportFolder: setup.folder + "/rollbacks")
        #expect(again.restoredCount == 0)
    }

    /// A rollback leases its send slots from the tenant's budget in the journal, as runs do:
    /// another live process of the tenant configured at 10/s holds a rollback allowed 2,000/s
    /// on its own to 10/s, and the rollback leaves the budget when it ends.
    @Test func rollbackPacesWithinTheTenantsSharedBudget() throws {
        let setup = try start()
        defer { setup.server.stop() }
        let config = try pipeline(setup)
        // Twelve accounts: their rollback takes a few seconds at 10/s, within the time another
        // process's registration stays live (`TenantRateBudget.staleAfter`).
        let input = try copyOfSample(setup, name: "twelve.csv") { Array($0.prefix(13)) }
        let first = run(config, setup, input: input)
        #expect(first.written > 0, "\(first.abortReason ?? "")")
        let journal = try RunJournal(path: setup.target.journalPath!, key: setup.target.journalKey)
        let budget = JournalRateBudget(store: journal.store)
        let tenant = TenantJournal.tenantID(apikey: setup.target.credentials.apikey)
        _ = try budget.lease(tenant: tenant, clientID: "another-process", configuredRate: 10, want: 1)
        try setup.api.resetStats()

        let report = RollbackRunner(journal: journal, runId: first.runId, target: setup.target, options: fastRollback).run(reportFolder: setup.folder + "/rollbacks")
        #expect(report.exitCode == .done, "\(report.abortReason ?? "")")
        #expect(report.restoredCount > 0)
        let stats = setup.server.stats
        // Alone at 2,000/s its calls would take milliseconds; 10/s spaces them 0.1 s apart
        // (a stall of the machine only makes the span longer).
        #expect(stats.arrivals >= 12, "\(stats.arrivals) calls")
        #expect(stats.arrivalSpan >= Double(stats.arrivals - 2) / 10 * 0.9, "\(stats.arrivals) calls in \(stats.arrivalSpan) s")
        #expect(try budget.snapshot(tenant: tenant).clients.map(\.clientID) == ["another-process"], "the rollback deregistered")
    }

    // MARK: whole-file checks

    func copyOfSample(_ setup: Setup, name: String = "placement.csv", edit: ([String]) -> [String]) throws -> String {
        let text = try String(contentsOfFile: repositoryPath("SampleData/placement.csv"), encoding: .isoLatin1)
        // "\r\n" is one Character in Swift: split on it explicitly.
        var lines = text.replacingOccurrences(of: "\r\n", with: "\n").components(separatedBy: "\n")
        if lines.last == "" { lines.removeLast() }
        let path = setup.folder + "/" + name
        try (edit(lines).joined(separator: "\n") + "\n").data(using: .isoLatin1)!.write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func wrongControlTotalHoldsTheFileWithoutAnyCall() throws {
        let setup = try start()
        defer { setup.server.stop() }
        let config = try pipeline(setup) { $0.replacingOccurrences(of: "options:\n", with: "checks:\n  control_total: { trailer_marker: TRAILER }\n\noptions:\n") }
        let wrong = try copyOfSample(setup, name: "wrong.csv") { $0 + ["TRAILER,219"] }
        try setup.api.resetStats()
        let held = run(config, setup, input: wrong)
        #expect(held.exitCode == .inputHeld)
        #expect(held.abortReason?.contains("the trailer (row 221) says 219 rows, the file has 220") == true, "\(held.abortReason ?? "")")
        #expect(try admittedRequests(setup.api) == 0)
        #expect(try auditCalls(held).isEmpty)

        let missing = run(config, setup, input: try copyOfSample(setup, name: "cut.csv") { $0 })
        #expect(missing.exitCode == .inputHeld && missing.abortReason?.contains("no trailer row") == true)

        // The right total goes through, and the trailer is not a data row.
        let right = run(config, setup, input: try copyOfSample(setup, name: "right.csv") { $0 + ["TRAILER,220"] })
        #expect(right.exitCode == .doneWithRejects)
        #expect(right.rowsRead == 220 && right.accountedRows == 220)
    }

    @Test func duplicatedFilenumberUnderRejectHoldsTheFileAndLastWinsLoadsTheLastRow() throws {
        let setup = try start()
        defer { setup.server.stop() }
        // Row 2 (R3002, in PROVIDENCE) repeated at the end with another city.
        let duplicated = try copyOfSample(setup, name: "dup.csv") { lines in
            #expect(lines[2].hasPrefix("R3002,") && lines[2].contains(",PROVIDENCE,"))
            return lines + [lines[2].replacingOccurrences(of: ",PROVIDENCE,", with: ",LAST ROW CITY,")]
        }
        let account = "R3002"

        let rejecting = try pipeline(setup) { $0.replacingOccurrences(of: "options:\n", with: "checks:\n  duplicate_filenumbers: reject\n\noptions:\n") }
        try setup.api.resetStats()
        let held = run(rejecting, setup, input: duplicated)
        #expect(held.exitCode == .inputHeld)
        #expect(held.abortReason?.contains("\(account) on rows 2, 221") == true, "\(held.abortReason ?? "")")
        #expect(try admittedRequests(setup.api) == 0)

        let lastWins = try pipeline(setup) { $0.replacingOccurrences(of: "options:\n", with: "checks:\n  duplicate_filenumbers: last_wins\n\noptions:\n") }
        let loaded = run(lastWins, setup, input: duplicated)
        #expect(loaded.rejectsByReason[.duplicateFilenumber] == 1)
        #expect(try setup.api.account(account)["city"] == "LAST ROW CITY")
        let rejects = try readGzipFile(loaded.reportFolder + "/rejects.csv.gz")
        #expect(rejects.contains("DUPLICATE_FILENUMBER") && rejects.contains("also on row 221"))
    }

    @Test func rowChecksRejectFutureDatesAndBalancesThatDoNotAddUp() throws {
        let setup = try start()
        defer { setup.server.stop() }
        var config = try pipeline(setup) { $0.replacingOccurrences(of: "options:\n", with: """
            checks:
              required: [lastname]
              no_future_dates: [birthdate, dateplaced]
              balance_adds_up: { total: currentbalance, parts: [principal, accruedinterest, miscfees] }

            options:

            """) }
        config.checks.today = "2000-01-01" // every placement date is then in the future
        let summary = run(config, setup)
        #expect(summary.rejectsByReason[.futureDate] ?? 0 > 150)
        #expect(summary.written + summary.unchanged < 10, "only rows with neither date get through")
        let rejects = try readCSVRecords(summary.reportFolder + "/rejects.csv.gz").filter { $0["_reject_reason"] == "FUTURE_DATE" }
        #expect(rejects.allSatisfy { ($0["_reject_message"] ?? "").contains("is in the future (checks.no_future_dates)") })

        // Held instead of rejected row by row when the pipeline says so.
        config.checks.futureDatesAction = .hold
        let held = run(config, setup, force: true)
        #expect(held.exitCode == .inputHeld && held.abortReason?.contains("FUTURE_DATE") == true)
    }

    // MARK: protection, acknowledgement

    @Test func protectedAccountsAreSkippedAndTheAcknowledgementListsEveryRow() throws {
        let setup = try start()
        defer { setup.server.stop() }
        let accounts = try sampleFilenumbers()
        let bankrupt = accounts[0], deceased = accounts[1]
        _ = try setup.api.post("/updatedbase", ["filenumber": bankrupt, "fieldname": "statusname", "fieldvalue": "Bankruptcy"], method: "PUT")
        _ = try setup.api.post("/updatedbase", ["filenumber": deceased, "fieldname": "deceased", "fieldvalue": "1"], method: "PUT")
        let before = try states(of: [bankrupt, deceased], setup.api)

        for format in ["csv", "xlsx"] {
            let config = try pipeline(setup) { $0.replacingOccurrences(of: "options:\n", with: """
                protect:
                  account_statuses: [BANKRUPTCY, DECEASED]
                  phone_statuses: [DNC, Do Not Call]

                acknowledgement:
                  format: \(format)

                options:

                """) }
            let summary = run(config, setup, force: true)
            #expect(summary.rejectsByReason[.accountProtected] == 2)
            #expect(try states(of: [bankrupt, deceased], setup.api) == before, "a protected account is not touched")
            #expect(try auditCalls(summary).allSatisfy { call in
                ![bankrupt, deceased].contains(call["filenumber"] as? String ?? "") || call["endpoint"] as? String == "getaccount"
            })

            // One line per input row, accepted or rejected with the reason, and what changed.
            let path = try #require(summary.acknowledgementFile)
            #expect(path.hasSuffix("acknowledgement.\(format)"))
            var lines: [[String: String]] = []
            if format == "csv" {
                lines = try readCSVRecords(path)
            } else {
                let reader = try XLSXReader(path: path)
                while case let .record(record)? = try reader.next() {
                    lines.append(Dictionary(uniqueKeysWithValues: zip(reader.header, record.values)))
                }
            }
            #expect(lines.count == summary.rowsRead)
            #expect(lines.filter { $0["status"] == "ACCEPTED" }.count == summary.written + summary.unchanged)
            #expect(lines.filter { $0["status"] == "REJECTED" }.count == summary.rejected)
            #expect(lines.first { $0["filenumber"] == bankrupt }?["reason"] == "ACCOUNT_PROTECTED")
            #expect(lines.allSatisfy { $0["status"] == "REJECTED" || !($0["changes"] ?? "").isEmpty })
            #expect(!lines.contains { ($0["message"] ?? "").contains(/\d{3}-\d{2}-\d{4}/) }, "no full SSN in an acknowledgement")
        }
    }

    /// The benchmark's own check, small: writes equal the values changed in the file, reading
    /// each account or the portfolio listing; a second run writes nothing.
    @Test func benchCallsWritesExactlyTheChangedValuesBothWaysOfReading() throws {
        let outcome = try CommandLineTests().run(["bench", "calls", "--rows", "300"], environment: [:], in: try makeTemporaryDirectory())
        #expect(outcome.status == 0, "\(outcome.stderr)")
        #expect(outcome.stdout.contains("writes equal the changes in the file: per account yes, listing yes; second run writes 0"), "\(outcome.stdout)")
        let listingLine = try #require(outcome.stdout.split(separator: "\n").first { $0.hasPrefix("read-compare-write, listing") })
        #expect(listingLine.split(separator: " ", omittingEmptySubsequences: true)[2] == "1", "one listing call reads every account: \(listingLine)")
    }

    // MARK: operating the nightly job

    @Test func datedInputIsFoundLoadedArchivedAndRefusedTheNextTime() throws {
        let folder = try makeTemporaryDirectory()
        let cli = CommandLineTests()
        try FileManager.default.createDirectory(atPath: folder + "/inbox", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: repositoryPath("SampleData/placement.csv"), toPath: folder + "/inbox/placement_20261122.csv")
        let pipeline = try cli.writePipeline(in: folder, target: "sandbox") { text in
            text.replacingOccurrences(of: "file: \(repositoryPath("SampleData"))/placement.csv", with: "file: \(folder)/inbox/placement_{yyyyMMdd}.csv")
                .replacingOccurrences(of: "options:\n", with: "operations:\n  archive_folder: \(folder)/archive\n  error_folder: \(folder)/errors\n\noptions:\n")
        }
        let env = ["SCOLLECT_SANDBOX_DB": folder + "/sandbox.sqlite", "SCOLLECT_JOURNAL": folder + "/journal.sqlite"]
        let none = try cli.run(["run", pipeline, "--date", "2026-11-21"], environment: env, in: folder)
        #expect(none.status == 4 && none.stderr.contains("no input file matches \(folder)/inbox/placement_20261121.csv"))

        let loaded = try cli.run(["run", pipeline, "--date", "2026-11-22"], environment: env, in: folder)
        #expect(loaded.status == 1, "\(loaded.stderr)")
        #expect(FileManager.default.fileExists(atPath: folder + "/archive/placement_20261122.csv"))
        #expect(!FileManager.default.fileExists(atPath: folder + "/inbox/placement_20261122.csv"))

        // The same file delivered again is refused and goes to the error folder.
        try FileManager.default.copyItem(atPath: repositoryPath("SampleData/placement.csv"), toPath: folder + "/inbox/placement_20261122.csv")
        let again = try cli.run(["run", pipeline, "--date", "2026-11-22"], environment: env, in: folder)
        #expect(again.status == 4 && again.stdout.contains("already loaded by run"), "said once, in the table's HELD line")
        #expect(FileManager.default.fileExists(atPath: folder + "/errors/placement_20261122.csv"))
    }

    @Test func aSecondRunOfThePipelineWaitsForNoOneAndIsRefused() throws {
        let setup = try start()
        defer { setup.server.stop() }
        let config = try pipeline(setup)
        // Hold the pipeline's lock as a running run would.
        try FileManager.default.createDirectory(atPath: config.reportsFolder, withIntermediateDirectories: true)
        let descriptor = open(config.reportsFolder + "/.\(config.name).lock", O_RDWR | O_CREAT, 0o600)
        defer { close(descriptor) }
        #expect(flock(descriptor, LOCK_EX | LOCK_NB) == 0)
        try setup.api.resetStats()
        let refused = run(config, setup)
        #expect(refused.exitCode == .inputHeld)
        #expect(refused.abortReason?.contains("another run of pipeline \(config.name) is in progress") == true)
        #expect(try admittedRequests(setup.api) == 0)
        flock(descriptor, LOCK_UN)
        #expect(run(config, setup).exitCode == .doneWithRejects)
    }
}
