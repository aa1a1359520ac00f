@testable import ScollectETL
import ScollectTestSupport
import Foundation
import Testing

/// A file number is a path segment of the calls: `.` and `..` (and anything that is not a
/// plain identifier) are rejected before any call.
struct FileNumberRuleTests {
    @Test func theRuleAcceptsIdentifiersOnly() {
        for good in ["R3001", "G0000001", "a", "ACCT-12_34", String(repeating: "9", count: 32)] { #expect(FileNumberRule.isValid(good), "\(good)") }
        for bad in [".", "..", "R3001/..", "-R1", "_R1", "R 1", "R1?x=1", "R1#", "%2E%2E", "R\u{1B}[2J", "É1", "", String(repeating: "9", count: 33)] {
            #expect(!FileNumberRule.isValid(bad), "\(bad)")
        }
    }

    @Test func theSampleDataAndTheSandboxSeedHoldOnlyValidFileNumbers() throws {
        let seed = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: repositoryPath("SampleData/sandbox-accounts.json")))) as! [String: Any]
        let accounts = seed["accounts"] as! [[String: Any]]
        #expect(accounts.count > 100)
        for account in accounts { #expect(FileNumberRule.isValid(account["filenumber"] as! String)) }
    }

    @Test func aRowWhoseFileNumberIsNotOneIsRejectedByTheMapper() throws {
        let config = try PipelineLoader.parse(RowMapperTests.pipeline(mapping: "{ filenumber: Account, socialsecuritynumber: SSN }"), file: "p.yml")
        let mapper = try RowMapper(config: config, header: ["Account", "SSN"], inputFile: "in.csv")
        for (row, value) in ["..", ".", "R1/../R2", "R1 R2"].enumerated() {
            guard case let .rejected(issues, _) = mapper.map(SourceRecord(row: row + 1, line: row + 2, values: [value, ""])) else {
                Issue.record("\(value) was not rejected")
                continue
            }
            #expect(issues.first?.reason == .invalidFilenumber, "\(value): \(issues)")
            #expect(issues.first?.message.contains("Account") == true)
        }
        guard case .row = mapper.map(SourceRecord(row: 9, line: 10, values: ["r3001", ""])) else {
            Issue.record("a valid file number is kept")
            return
        }
    }
}
