@testable import ScollectETL
import Testing

/// The server's values are read in the server's styles, never with the file's options, and its
/// placeholders are empty.
struct ServerValuesTests {
    @Test("placeholders are empty", arguments: [
        nil, "", " ", "null", "NULL", "000-00-0000", "0000-00-00", "0000-00-00 00:00:00", "1/1/1900", "12/31/1899",
        "1900-01-01", "Mon, 01 Jan 1900 00:00:00 GMT", "Sun, 31 Dec 1899 00:00:00 GMT",
    ])
    func placeholders(value: String?) {
        #expect(ServerValues.isEmpty(value))
        #expect(AccountSnapshot.isEmptyValue(value))
    }

    @Test("real values are not", arguments: ["0", "0.00", "123-45-6789", "1/2/1900", "1900", "2013-03-06", "000-00-0001"])
    func realValues(value: String) {
        #expect(!ServerValues.isEmpty(value))
    }

    @Test func serverDatesAreMonthFirstWhateverTheFileSays() {
        let dayFirst = DateNormalizer(dayFirst: true)
        // The file's 6 March (06/03/2013 day-first) arrives as 2013-03-06: the server's 3/6/2013.
        #expect(FieldComparison.same("2013-03-06", "3/6/2013", normalizer: dayFirst))
        #expect(FieldComparison.same("2013-03-06", "Wed, 06 Mar 2013 00:00:00 GMT", normalizer: dayFirst))
        #expect(!FieldComparison.same("2013-06-03", "3/6/2013", normalizer: dayFirst))
        // A server value is never an Excel serial.
        #expect(DateNormalizer.serverStyles.normalize("41339") == .invalid(.invalidDate, "not a recognised date format"))
        #expect(!FieldComparison.same("2013-03-06", "41339", normalizer: DateNormalizer()))
    }

    @Test func serverPlaceholdersCompareAsEmpty() {
        #expect(FieldComparison.same("", "000-00-0000", normalizer: SSNNormalizer()))
        #expect(FieldComparison.same(nil, "0000-00-00 00:00:00", normalizer: DateNormalizer()))
        #expect(!FieldComparison.same("123-45-6789", "000-00-0000", normalizer: SSNNormalizer()))
        #expect(FieldComparison.same("4000.00", " 4,000", normalizer: MoneyNormalizer()))
    }

    @Test func updatedbaseReadsTheServerMonthFirstAndFillsKeptPlaceholders() throws {
        let writer = try #require(WriterFixture.writers(mapping: ["birthdate", "socialsecuritynumber"],
                                                        normalize: "{ birthdate: { type: date, day_first: true }, socialsecuritynumber: ssn }",
                                                        "  - updatedbase: { keep: [socialsecuritynumber] }")[0] as? UpdateDbaseWriter)
        let current = AccountSnapshot(fields: ["birthdate": "3/6/2013", "socialsecuritynumber": "000-00-0000"])
        let calls = writer.plan(WriterFixture.row(["birthdate": "2013-03-06", "socialsecuritynumber": "123-45-6789"]), current: current)
        #expect(calls.map(\.summary) == ["updatedbase socialsecuritynumber"])
    }
}
