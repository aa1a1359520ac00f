import ArgumentParser
import Foundation
import ScollectETL
import ScollectSandbox

/// `scollect-etl bench calls`: what read-compare-write saves on a nightly placement.
struct BenchCallsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calls",
        abstract: "Calls per row for a placement where a share of the values changed, next to the naive count (fields × rows).",
        discussion: """
        Seeds two identical sandboxes with N generated accounts, writes a placement of those \
        accounts in which each value changed with the given probability (unchanged values in \
        another format: 1965-10-18 for 10/18/1965, SSNs without dashes), and loads it three \
        ways: reading each account (getaccount + getphones), reading the portfolio listing \
        once (options.read_from_portfolios), and the same file a second time.
        """
    )

    @Option(help: "Accounts (rows) in the placement.")
    var rows = 10_000

    @Option(help: "Probability that a value in the file differs from the account's.")
    var changed = 0.10

    @Option(help: "Work folder (default: a temporary one, removed afterwards).")
    var folder: String?

    static let columns: [(header: String, field: String, normalizer: String?)] = [
        ("Account", "filenumber", nil), ("First", "firstname", nil), ("Last", "lastname", nil), ("SSN", "socialsecuritynumber", "ssn"),
        ("DOB", "birthdate", "date"), ("Address", "address", nil), ("City", "city", nil), ("State", "state", "upper"),
        ("Zip", "zip", nil), ("Email", "emailaddress", nil), ("Balance", "currentbalance", "money"), ("Phone", "phone", "phone"),
    ]

    func run() throws {
        let work = folder ?? NSTemporaryDirectory() + "scollect-bench-calls-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { if folder == nil { try? FileManager.default.removeItem(atPath: work) } }

        // Two identical sandboxes: one per way of reading.
        var servers: [SandboxServer] = []
        defer { servers.forEach { $0.stop() } }
        for name in ["per-account", "listing"] {
            let database = work + "/\(name).sqlite"
            _ = try SandboxGenerator.seed(databasePath: database, accounts: rows, portfolio: "BENCH", prefix: "B", seed: 7)
            servers.append(try SandboxServer.start(SandboxConfiguration(databasePath: database)))
        }
        let target = { (server: SandboxServer) in
            RunTarget(baseURL: server.baseURL, credentials: Credentials(apikey: SandboxConfiguration.defaultAPIKey, pin: SandboxConfiguration.defaultPIN),
                      description: "bench sandbox \(server.baseURL)", journalPath: work + "/journal-\(server.port).sqlite")
        }

        // The accounts as they are, through the listing, and a placement that changes a share of them.
        let current = try listAccounts(server: servers[0], folder: work)
        let input = work + "/placement.csv"
        let changes = try writePlacement(current, to: input)
        let pipeline = work + "/pipeline.yml"
        try pipelineText(input: input, reports: work + "/reports").write(toFile: pipeline, atomically: true, encoding: .utf8)
        var config = try PipelineLoader.load(path: pipeline)

        var options = RunOptions()
        options.force = true
        let perAccount = PipelineRunner(config: config, target: target(servers[0]), options: options).run()
        let again = PipelineRunner(config: config, target: target(servers[0]), options: options).run()
        config.readFromPortfolios = ["BENCH"]
        let listing = PipelineRunner(config: config, target: target(servers[1]), options: options).run()

        let fields = Self.columns.count - 1
        func line(_ label: String, _ summary: RunSummary?) -> String {
            let reads = summary.map { s in ["getaccount", "getphones", "get_accounts_in_portfolio"].reduce(0) { $0 + (s.callsByEndpoint[$1] ?? 0) } } ?? 0
            let writes = summary.map { ($0.callsByEndpoint["updatedbase"] ?? 0) + ($0.callsByEndpoint["insertphone"] ?? 0) } ?? rows * fields
            let calls = summary?.callsMade ?? rows * fields
            let elapsed = summary.map { String(format: "%.1f s", $0.elapsedSeconds) } ?? ""
            return label.padding(toLength: 34, withPad: " ", startingAt: 0)
                + String(format: "%8d %8d %8d %10.2f   ", reads, writes, calls, Double(calls) / Double(rows)) + elapsed
        }
        print("placement: \(rows) rows × \(fields) fields (\(fields - 1) dbase fields + 1 phone), \(Int(changed * 100))% of values changed: \(changes) changes")
        print("way".padding(toLength: 34, withPad: " ", startingAt: 0) + "   reads   writes    calls  calls/row   elapsed")
        print(line("naive (write every field)", nil))
        print(line("read-compare-write, per account", perAccount))
        print(line("read-compare-write, listing", listing))
        print(line("second run of the same file", again))
        let writes = { (s: RunSummary) in (s.callsByEndpoint["updatedbase"] ?? 0) + (s.callsByEndpoint["insertphone"] ?? 0) }
        print("writes equal the changes in the file: per account \(writes(perAccount) == changes ? "yes" : "NO"), listing \(writes(listing) == changes ? "yes" : "NO"); second run writes \(writes(again))")
        print("rows: written \(perAccount.written), unchanged \(perAccount.unchanged), rejected \(perAccount.rejected)")
    }

    /// Every account of the BENCH portfolio, as the listing shows it.
    func listAccounts(server: SandboxServer, folder: String) throws -> [PortfolioListing.Account] {
        let client = ScollectClient(baseURL: server.baseURL, credentials: Credentials(apikey: SandboxConfiguration.defaultAPIKey, pin: SandboxConfiguration.defaultPIN),
                                    limiter: RateLimiter(ratePerSecond: 100), audit: nil)
        let http = CurlHTTPClient(timeoutSeconds: 120)
        try client.ensureLoggedIn(using: http)
        var call = APICall(method: "POST", endpoint: "get_accounts_in_portfolio", path: "/get_accounts_in_portfolio",
                           body: .strings([("portfolio", "BENCH")]), filenumber: nil, idempotent: true)
        call.spoolAnswerTo = folder + "/listing.json"
        _ = try client.perform(call, using: http)
        var accounts: [PortfolioListing.Account] = []
        try PortfolioListing.read(file: folder + "/listing.json", keeping: Set(Self.columns.map(\.field))) { accounts.append($0) }
        return accounts
    }

    /// The placement file; returns how many values in it differ from the accounts (the writes
    /// a perfect load makes).
    func writePlacement(_ accounts: [PortfolioListing.Account], to path: String) throws -> Int {
        var rng = SplitMix64(seed: 11)
        func roll() -> Bool { Double(rng.next() % 1_000_000) / 1_000_000 < changed }
        var text = Self.columns.map(\.header).joined(separator: ",") + "\n"
        var changes = 0
        for account in accounts {
            var cells: [String] = []
            for column in Self.columns {
                if column.field == "filenumber" { cells.append(account.filenumber); continue }
                if column.field == "phone" {
                    let existing = account.snapshot.phoneDigits.sorted().first ?? "2015550000"
                    if roll() {
                        cells.append(String(format: "(%03d) %03d-%04d", SandboxGenerator.nanpPart(&rng), SandboxGenerator.nanpPart(&rng), Int(rng.next() % 10_000)))
                        changes += 1
                    } else {
                        cells.append(existing)
                    }
                    continue
                }
                let value = (account.snapshot.fields[column.field] ?? nil) ?? ""
                if roll() {
                    cells.append(Self.changedValue(of: column.field, value, &rng))
                    changes += 1
                } else {
                    cells.append(Self.sameValueOtherwiseWritten(column.field, value))
                }
            }
            text += cells.map { CSVFormatting.field($0) }.joined(separator: ",") + "\n"
        }
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return changes
    }

    static func changedValue(of field: String, _ value: String, _ rng: inout SplitMix64) -> String {
        let n = Int(rng.next() % 9_000) + 1_000
        switch field {
        case "socialsecuritynumber": return String(format: "%03d-%02d-%04d", 100 + n % 600 == 666 ? 667 : 100 + n % 600, 10 + n % 80, n)
        case "birthdate": return String(format: "19%02d-%02d-%02d", 40 + n % 50, 1 + n % 12, 1 + n % 28)
        case "state": return value == "OK" ? "KS" : "OK"
        case "zip": return String(format: "%05d", n * 7 % 100_000)
        case "currentbalance": return String(format: "%d.%02d", n, n % 100)
        case "emailaddress": return "changed\(n)@example.org"
        default: return "CHANGED \(n)"
        }
    }

    /// The account's own value, written the way creditors' files often do.
    static func sameValueOtherwiseWritten(_ field: String, _ value: String) -> String {
        switch field {
        case "socialsecuritynumber": return value.filter(\.isNumber)
        case "birthdate":
            if case let .value(date, _) = DateNormalizer().normalize(value) { return date }
            return value
        case "currentbalance": return "$" + value
        default: return value
        }
    }

    func pipelineText(input: String, reports: String) -> String {
        let mapping = Self.columns.map { "  \($0.field): \($0.header)" }.joined(separator: "\n")
        let normalize = Self.columns.compactMap { column in column.normalizer.map { "  \(column.field): \($0)" } }.joined(separator: "\n")
        return """
        name: bench-calls
        source: { file: \(input) }
        mapping:
        \(mapping)
        normalize:
        \(normalize)
        writers:
          - updatedbase:
          - insertphone:
              phones: [{ field: phone, type: HOME }]
        target: { url: sandbox, requests_per_second: 100000, max_in_flight: 4, batch_size: 500 }
        reports: { folder: \(reports) }

        """
    }
}
