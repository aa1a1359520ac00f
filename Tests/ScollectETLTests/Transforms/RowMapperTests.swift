@testable import ScollectETL
import Testing

/// Mapped columns are found whatever the case, spacing and punctuation of the header, or
/// under an alias; one that is missing stops the run naming the closest header.
struct RowMapperTests {
    static func pipeline(mapping: String) -> String {
        """
        source: { file: in.csv }
        mapping: \(mapping)
        normalize: { socialsecuritynumber: ssn }
        writers: [updatedbase]
        target: { url: sandbox, requests_per_second: 10 }
        reports: { folder: out }
        """
    }

    @Test func headersMatchIgnoringCaseSpacesAndPunctuationOrByAlias() throws {
        let config = try PipelineLoader.parse(Self.pipeline(mapping: "{ filenumber: Account Number, socialsecuritynumber: [SSN, social_security] }"), file: "p.yml")
        #expect(config.mapping[1].aliases == ["social_security"])
        #expect(config.source.columns == ["Account Number", "SSN", "social_security"])
        let mapper = try RowMapper(config: config, header: ["ACCOUNT-NUMBER", "Social Security #"], inputFile: "in.csv")
        guard case let .row(row) = mapper.map(SourceRecord(row: 1, line: 2, values: ["r1", "123456789"])) else {
            Issue.record("row rejected")
            return
        }
        #expect(row.filenumber == "R1")
        #expect(row["socialsecuritynumber"] == .value("123-45-6789"))
    }

    @Test func aMissingColumnNamesItsAliasesAndTheClosestHeader() throws {
        let config = try PipelineLoader.parse(Self.pipeline(mapping: "{ filenumber: Account Number, socialsecuritynumber: [SSN, Soc Sec] }"), file: "p.yml")
        let error = #expect(throws: MissingColumnError.self) {
            try RowMapper(config: config, header: ["Account Number", "Soc Se"], inputFile: "in.csv")
        }
        #expect(error?.description.contains("no column \"SSN\" / \"Soc Sec\"") == true, "\(String(describing: error))")
        #expect(error?.description.contains("the closest header is \"Soc Se\"") == true)
        #expect(error?.description.contains("p.yml:2") == true)
    }
}
