import Foundation
import ScollectETL
import ScollectSandbox
import ScollectTestSupport
import Testing

/// `scollect-etl run Pipelines/account-maintenance.yml` as an operator runs it: the embedded
/// sandbox, with its Factors Network emulation when FACTORS_NETWORK_URL is not set.
extension CommandLineTests {
    func writeMaintenancePipeline(in folder: String) throws -> String {
        let text = try String(contentsOfFile: repositoryPath("Pipelines/account-maintenance.yml"), encoding: .utf8)
            .replacingOccurrences(of: "../SampleData/", with: repositoryPath("SampleData") + "/")
            .replacingOccurrences(of: "folder: ../reports/account-maintenance", with: "folder: \(folder)/reports")
        let path = folder + "/account-maintenance.yml"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func accountMaintenanceRunsAgainstTheEmbeddedSandboxAndItsFactorsNetwork() throws {
        let folder = try makeTemporaryDirectory("maintenance-cli")
        let pipeline = try writeMaintenancePipeline(in: folder)
        let environment = ["SCOLLECT_SANDBOX_DB": folder + "/sandbox.sqlite", "SCOLLECT_JOURNAL": folder + "/journal.sqlite",
                           "FACTORS_NETWORK_URL": "", "FACTORS_NETWORK_USER": "", "FACTORS_NETWORK_PASSWORD": ""]
        let outcome = try run(["run", pipeline], environment: environment, in: folder)
        #expect(outcome.status == 1, "\(outcome.stderr)")
        let summary = try summary(in: folder)
        let expected = try AccountMaintenanceTests.Expected()
        // Without the test's pending payments, their rows are rejected by the server too.
        #expect(summary["rows_read"] as? Int == expected.rows)
        #expect(summary["rejected"] as? Int == expected.rejected.values.reduce(0, +) + expected.pendingAccounts.count)
        let store = try SandboxStore.open(path: folder + "/sandbox.sqlite")
        defer { store.close() }
        let fnWritten = expected.outcomes.filter { row, outcome in
            outcome == "written" && (try? AccountMaintenanceTests.inputRows()[row]?["FN Debtor"]).flatMap { $0 }.map { !$0.isEmpty } == true
        }.count
        #expect(fnWritten > 0)
        #expect(try store.query("SELECT COUNT(*) AS n FROM fn_notes").first?["n"] == .int(fnWritten))
        #expect(!outcome.stderr.contains(SandboxConfiguration.defaultFactorsNetworkPassword))
    }

    @Test func aFactorsNetworkURLWithoutCredentialsIsABadInvocation() throws {
        let folder = try makeTemporaryDirectory("maintenance-cli")
        let pipeline = try writeMaintenancePipeline(in: folder)
        let outcome = try run(["run", pipeline], environment: ["SCOLLECT_SANDBOX_DB": folder + "/sandbox.sqlite", "SCOLLECT_JOURNAL": folder + "/journal.sqlite",
                                                               "FACTORS_NETWORK_URL": "https://fn.example", "FACTORS_NETWORK_USER": "", "FACTORS_NETWORK_PASSWORD": ""],
                              in: folder)
        #expect(outcome.status == 2)
        #expect(outcome.stderr.contains("FACTORS_NETWORK_USER or FACTORS_NETWORK_PASSWORD"))
    }
}
