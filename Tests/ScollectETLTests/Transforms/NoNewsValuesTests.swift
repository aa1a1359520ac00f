@testable import ScollectETL
import Testing

/// A file's "nothing" values (`options.no_news_values`) are no news, like a blank cell; the
/// clear marker wins over them.
struct NoNewsValuesTests {
    static func pipeline(options: String) -> String {
        """
        source: { file: in.csv }
        mapping: { filenumber: Account, city: City, birthdate: DOB, currentbalance: Balance }
        normalize: { birthdate: date, currentbalance: money }
        options: \(options)
        writers: [updatedbase]
        target: { url: sandbox, requests_per_second: 10 }
        reports: { folder: out }
        """
    }

    func map(_ values: [String], options: String = "{ clear_marker: \"<CLEAR>\" }") throws -> RowMapper.Outcome {
        let config = try PipelineLoader.parse(Self.pipeline(options: options), file: "p.yml")
        let mapper = try RowMapper(config: config, header: ["Account", "City", "DOB", "Balance"], inputFile: "in.csv")
        return mapper.map(SourceRecord(row: 1, line: 2, values: ["R1"] + values))
    }

    func fields(_ outcome: RowMapper.Outcome) -> [String: FieldValue] {
        guard case let .row(row) = outcome else { return ["rejected": .clear] }
        var values = row.values
        values["filenumber"] = nil
        return values
    }

    @Test("the default list, in any case and with a time of day", arguments: [
        ["NULL", "1/1/1900", "N/A"], ["null", "12/31/1899", "none"], [" None ", "1900-01-01", "n/a"],
        ["N/A", "0000-00-00", "NULL"], ["none", "0000-00-00 00:00:00", "null"],
        ["null", "Mon, 01 Jan 1900 00:00:00 GMT", " "], ["NULL", "Sun, 31 Dec 1899 00:00:00 GMT", "NONE"],
        ["NULL", "1", "N/A"], // serial 1 is 1900-01-01
    ])
    func defaultsAreNoNews(values: [String]) throws {
        #expect(fields(try map(values)) == [:])
    }

    @Test func realValuesAndLookalikesAreNews() throws {
        #expect(fields(try map(["NULLSTONE", "1/2/1900", "$12.00"])) == ["city": .value("NULLSTONE"), "birthdate": .value("1900-01-02"), "currentbalance": .value("12.00")])
        #expect(fields(try map(["None Such", "1/1/1901", "0"])) == ["city": .value("None Such"), "birthdate": .value("1901-01-01"), "currentbalance": .value("0.00")])
    }

    @Test func theClearMarkerWinsAndTheListIsThePipelines() throws {
        #expect(fields(try map(["NULL", "", ""], options: "{ clear_marker: \"NULL\" }")) == ["city": .clear])
        let custom = "{ clear_marker: \"<CLEAR>\", no_news_values: [UNKNOWN, 1/1/1970] }"
        #expect(fields(try map(["unknown", "1970-01-01", ""], options: custom)) == [:])
        #expect(fields(try map(["NULL", "1/1/1900", ""], options: custom)) == ["city": .value("NULL"), "birthdate": .value("1900-01-01")])
        // An empty list turns it off: N/A is then an amount with letters.
        guard case let .rejected(issues, _) = try map(["", "", "N/A"], options: "{ no_news_values: [] }") else {
            Issue.record("N/A accepted as an amount")
            return
        }
        #expect(issues.first?.reason == .invalidMoney)
    }
}
