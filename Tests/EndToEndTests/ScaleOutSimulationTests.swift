import Foundation
import ScollectETL
import ScollectSandbox
import ScollectTestSupport
import Testing

/// A service bureau's night on loopback: 3 tenants (3 sandboxes, each losing 5 % of its answers
/// after the commit), 4 payment pipelines of 300 rows per tenant, run by 6 processes at once in
/// two process groups ("machines", each its own working and state folders) that share one
/// journal: PostgreSQL across the machines, or the SQLite file when both groups are one machine.
/// Each tenant's budget is 20 requests/s (`target.tenant_requests_per_second`), and each
/// process would pace at 20 by itself: only the shared budget keeps a tenant under its limit.
@Suite(.serialized)
struct ScaleOutSimulationTests {
    static let tenants = 3
    static let pipelinesPerTenant = 4
    static let rows = 300
    static let rate = 20

    /// A tenant's API: `scollect-etl sandbox serve` as a process of its own, so that the arrival
    /// counter runs on threads of its own, not on the test process's (busy with other tests).
    struct Tenant {
        let index: Int
        let server: Process
        let baseURL: String
        let apikey: String
        let api: TestAPI
        let accounts: [String]

        func stop() {
            server.terminate()
            server.waitUntilExit()
        }

        func stats() throws -> JSONValue { try api.stats() }
    }

    @Test(arguments: JournalStoreKind.testable)
    func threeTenantsOnTwoMachinesKeepTheirBudgetAndBookEachPaymentOnce(_ kind: JournalStoreKind) throws {
        let root = try makeTemporaryDirectory("scale-out")
        let accounts = Array(try PaymentImportTests.Expected("payments").booked.keys.sorted().prefix(60))
        let tenants = try (0..<Self.tenants).map { index in try Self.startTenant(index, accounts: accounts, root: root) }
        defer { tenants.forEach { $0.stop() } }
        let machines = ["machine-a", "machine-b"].map { root + "/" + $0 }
        let (journal, journalEnvironment): (String?, [String: String]) = kind == .sqlite
            ? (nil, [:]) : (try PostgresTestServer.server().journalURL(), try PostgresTestServer.server().environment)
        // Payment files in a shared inbox; pipelines 1–2 of each tenant on machine A, 3–4 on B.
        var expected: [Int: [String: [PaymentKey: Int]]] = [:]
        for tenant in tenants {
            expected[tenant.index] = try PaymentImportTests.serverPayments(tenant.api, accounts)
            for pipeline in 0..<Self.pipelinesPerTenant {
                for (account, key) in try Self.writePayments(root: root, tenant: tenant.index, pipeline: pipeline, accounts: accounts) {
                    expected[tenant.index]![account, default: [:]][key, default: 0] += 1
                }
            }
        }
        func night(force: Bool) throws -> [[String: Any]] {
            let processes = try tenants.flatMap { tenant in
                try machines.enumerated().map { machineIndex, machine in
                    try Self.startProcess(tenant: tenant, machine: machine, root: root,
                                          pipelines: [2 * machineIndex, 2 * machineIndex + 1], force: force,
                                          journal: journal, journalEnvironment: journalEnvironment, oneMachine: kind == .sqlite)
                }
            }
            for process in processes { process.waitUntilExit() }
            return try tenants.flatMap { tenant in
                try (0..<Self.pipelinesPerTenant).map { pipeline in try Self.summary(root: root, tenant: tenant.index, pipeline: pipeline) }
            }
        }
        for tenant in tenants { try tenant.api.resetStats() }  // the reads above are not the night's
        let first = try night(force: false)
        // A row whose outcome a lost answer left open is finished by the same command again
        // (a file the first night finished is refused then: exit 4, its summary kept).
        var summaries = first
        if first.contains(where: { ($0["rows_to_retry"] as? Int ?? 0) > 0 }) {
            summaries = zip(first, try night(force: false)).map { first, second in (first["rows_to_retry"] as? Int ?? 0) > 0 ? second : first }
        }
        print("scale-out \(kind): the first night left \(first.map { $0["rows_to_retry"] as? Int ?? 0 }.reduce(0, +)) rows to retry")

        for tenant in tenants {
            let stats = try tenant.stats()
            let busiest = Int(Self.number(stats["max_arrivals_in_any_second"]) ?? -1)
            let arrivals = Int(Self.number(stats["arrivals"]) ?? 0)
            let span = Self.number(stats["arrival_span_seconds"]) ?? 0
            let lost = Int(Self.number(stats["closed_after_commit"]) ?? 0)
            #expect(busiest >= 0 && busiest <= Self.rate + 1, "tenant \(tenant.index): \(busiest) arrivals in a sliding second (budget \(Self.rate))")
            #expect(lost > 0, "tenant \(tenant.index): no answer was lost after the commit")
            print("scale-out \(kind) tenant \(tenant.index): \(arrivals) arrivals in \(String(format: "%.1f", span)) s "
                  + "(\(String(format: "%.1f", Double(arrivals - 1) / max(span, 0.001)))/s), busiest sliding second \(busiest), "
                  + "\(lost) answers lost after the commit")
            let after = try PaymentImportTests.serverPayments(tenant.api, accounts)
            for account in accounts {
                #expect(after[account] == expected[tenant.index]![account], "tenant \(tenant.index) \(account): each payment booked once")
            }
        }
        for summary in summaries {
            let read = summary["rows_read"] as? Int ?? -1
            // Rows settled by the first night are counted unchanged by the second ("settled earlier").
            let accounted = ["written", "unchanged", "rejected"].map { summary[$0] as? Int ?? 0 }.reduce(0, +)
            #expect(read == Self.rows && accounted == read && summary["rows_to_retry"] as? Int == 0 && summary["rejected"] as? Int == 0,
                    "\(summary)")
        }

        // The same nights again, forced: every payment is in the ledger, nothing is sent.
        for tenant in tenants { try tenant.api.resetStats() }
        let forced = try night(force: true)
        for tenant in tenants {
            let calls = Int(Self.number(try tenant.stats()["endpoints"]?["insert_payments_external"]) ?? 0)
            #expect(calls == 0, "tenant \(tenant.index): \(calls) payments sent again under --force")
        }
        #expect(forced.allSatisfy { [0, 1].contains($0["exit_code"] as? Int ?? -1) }, "\(forced.map { $0["exit_code"] ?? "?" })")
    }

    static func number(_ value: JSONValue?) -> Double? {
        if case let .number(number)? = value { return number }
        return nil
    }

    static func startTenant(_ index: Int, accounts: [String], root: String) throws -> Tenant {
        let apikey = "agency-\(index)-" + SandboxConfiguration.defaultAPIKey
        let port = PostgresTestServer.freePort()
        let server = Process()
        server.executableURL = URL(fileURLWithPath: CommandLineTests.executable)
        server.arguments = ["sandbox", "serve", "--port", "\(port)", "--db", root + "/sandbox-\(index).sqlite",
                            "--seed", repositoryPath("SampleData/sandbox-accounts.json"), "--apikey", apikey,
                            "--close-after-commit", "0.05", "--fault-seed", "\(index + 11)"]
        var env = ProcessInfo.processInfo.environment
        env["SCOLLECT_STATE_DIR"] = root + "/sandbox-state-\(index)"
        server.environment = env
        server.standardOutput = FileHandle.nullDevice
        server.standardError = FileHandle.nullDevice
        try server.run()
        let baseURL = "http://127.0.0.1:\(port)"
        let deadline = Date().addingTimeInterval(30)
        while true {
            if let api = try? TestAPI(baseURL: baseURL, apikey: apikey), !api.token.isEmpty {
                return Tenant(index: index, server: server, baseURL: baseURL, apikey: apikey, api: api, accounts: accounts)
            }
            guard Date() < deadline, server.isRunning else {
                server.terminate()
                throw CocoaError(.fileReadUnknown, userInfo: [NSLocalizedDescriptionKey: "the sandbox of tenant \(index) did not start on port \(port)"])
            }
            Thread.sleep(forTimeInterval: 0.2)
        }
    }

    /// 300 payments, each (account, date, amount) its own within the tenant, each reference new.
    static func writePayments(root: String, tenant: Int, pipeline: Int, accounts: [String]) throws -> [(String, PaymentKey)] {
        var lines = ["Account Number,Payment Date,Amount,Payor,Method,Card Type,Card Number,CVV,Exp,Bank Account,Routing,Account Type,Reference,Fees Accepted"]
        var keys: [(String, PaymentKey)] = []
        for row in 0..<rows {
            let account = accounts[row % accounts.count]
            let day = 1 + (row / accounts.count)  // 5 rows per account: days 1–5
            let cents = 1_000 + 100 * pipeline + 7 * tenant + row  // distinct per pipeline and row
            lines.append("\(account),12/\(day)/2026,\(cents / 100).\(String(format: "%02d", cents % 100)),PAYOR \(row),CHECK,,,,,,,,SIM-\(tenant)-\(pipeline)-\(row),0")
            keys.append((account, PaymentKey(date: "2026-12-\(String(format: "%02d", day))", cents: cents)))
        }
        try FileManager.default.createDirectory(atPath: root + "/inbox", withIntermediateDirectories: true)
        try (lines.joined(separator: "\n") + "\n").write(toFile: root + "/inbox/payments-\(tenant)-\(pipeline).csv", atomically: true, encoding: .utf8)
        return keys
    }

    /// `Pipelines/bulk-payments.yml` as pipeline `payments-<p>` of one tenant, in a machine's folder.
    static func pipelineFile(machine: String, root: String, tenant: Int, pipeline: Int) throws -> String {
        let text = try String(contentsOfFile: repositoryPath("Pipelines/bulk-payments.yml"), encoding: .utf8)
            .replacingOccurrences(of: "name: bulk-payments", with: "name: payments-\(pipeline)")
            .replacingOccurrences(of: "file: ../SampleData/payments.csv", with: "file: \(root)/inbox/payments-\(tenant)-\(pipeline).csv")
            .replacingOccurrences(of: "../SampleData/", with: repositoryPath("SampleData") + "/")
            .replacingOccurrences(of: "folder: ../reports/bulk-payments", with: "folder: \(root)/reports-\(tenant)-\(pipeline)")
            .replacingOccurrences(of: "requests_per_second: 100", with: "requests_per_second: \(rate)\n  tenant_requests_per_second: \(rate)")
        let folder = machine + "/tenant-\(tenant)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let path = folder + "/payments-\(pipeline).yml"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// One process of a machine: a tenant's two pipelines, one after the other.
    static func startProcess(tenant: Tenant, machine: String, root: String, pipelines: [Int], force: Bool,
                             journal: String?, journalEnvironment: [String: String], oneMachine: Bool) throws -> Process {
        let commands = try pipelines.map { pipeline in
            let file = try pipelineFile(machine: machine, root: root, tenant: tenant.index, pipeline: pipeline)
            return "'\(CommandLineTests.executable)' run '\(file)' --quiet\(force ? " --force" : "") --summary-json '\(root)/summary-\(tenant.index)-\(pipeline).json'"
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", commands.joined(separator: "; ")]
        var env = ProcessInfo.processInfo.environment
        env["SCOLLECT_URL"] = tenant.baseURL
        env["SCOLLECT_APIKEY"] = tenant.apikey
        env["SCOLLECT_PIN"] = SandboxConfiguration.defaultPIN
        env["SCOLLECT_JOURNAL"] = journal
        // One machine: one state directory (the tenant's SQLite journal in it). Two: each its own.
        env["SCOLLECT_STATE_DIR"] = oneMachine ? root + "/state" : machine + "/state"
        env.merge(journalEnvironment) { $1 }
        process.environment = env
        process.currentDirectoryURL = URL(fileURLWithPath: machine)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    static func summary(root: String, tenant: Int, pipeline: Int) throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: root + "/summary-\(tenant)-\(pipeline).json"))
        return try JSONSerialization.jsonObject(with: data) as! [String: Any]
    }
}
