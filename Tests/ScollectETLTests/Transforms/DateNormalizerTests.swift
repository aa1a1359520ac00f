import Testing
@testable import ScollectETL

@Suite("DateNormalizer")
struct DateNormalizerTests {
    /// Fixed "today" so the 2-digit-year pivot never depends on the clock: 25 → 2025, 26 → 1926.
    let us = DateNormalizer(currentYear: 2025)
    let dayFirst = DateNormalizer(dayFirst: true, currentYear: 2025)
    let mac = DateNormalizer(excelDateSystem: .system1904, currentYear: 2025)

    @Test func name() {
        #expect(DateNormalizer.name == "date")
    }

    @Test("US month-first forms", arguments: [
        ("12/1/2022", "2022-12-01"),
        ("1/2/2023", "2023-01-02"),
        ("01/02/2023", "2023-01-02"),
        ("12/31/1999", "1999-12-31"),
        ("1-2-2023", "2023-01-02"),
        ("01.02.2023", "2023-01-02"),
        ("2/29/2024", "2024-02-29"),        // leap year
        ("2/29/2000", "2000-02-29"),        // divisible by 400
        ("1/1/1800", "1800-01-01"),
        ("12/31/2199", "2199-12-31"),
        ("\u{00A0}12/1/2022\u{00A0}", "2022-12-01"), // NBSP around (cp1252 0xA0)
        ("  12/1/2022\t", "2022-12-01"),
    ])
    func monthFirst(raw: String, expected: String) {
        #expect(us.normalize(raw) == .value(expected))
    }

    @Test("2-digit years pivot on currentYear % 100", arguments: [
        ("1/2/00", "2000-01-02"),
        ("1/2/24", "2024-01-02"),
        ("1/2/25", "2025-01-02"),           // == currentYear % 100 → this century
        ("1/2/26", "1926-01-02"),           // one past the pivot → last century
        ("12/31/99", "1999-12-31"),
        ("6/15/70", "1970-06-15"),
        ("06-15-70", "1970-06-15"),
        ("06.15.25", "2025-06-15"),
    ])
    func twoDigitYears(raw: String, expected: String) {
        #expect(us.normalize(raw) == .value(expected))
    }

    @Test func pivotFollowsCurrentYear() {
        #expect(DateNormalizer(currentYear: 2040).normalize("1/2/40") == .value("2040-01-02"))
        #expect(DateNormalizer(currentYear: 2040).normalize("1/2/41") == .value("1941-01-02"))
        #expect(DateNormalizer(currentYear: 2010).normalize("1/2/25") == .value("1925-01-02"))
    }

    @Test func defaultCurrentYearIsPlausible() {
        let year = DateNormalizer.currentUTCYear()
        #expect(year >= 2025 && year < 2200)
        #expect(DateNormalizer().currentYear == year)
    }

    @Test("day-first forms", arguments: [
        ("1/2/2023", "2023-02-01"),
        ("31/12/1999", "1999-12-31"),
        ("31.12.99", "1999-12-31"),
        ("01-12-2022", "2022-12-01"),
        ("29/2/2024", "2024-02-29"),
        ("2022-12-01", "2022-12-01"),       // ISO is never day-first
        ("20221201", "2022-12-01"),
    ])
    func dayFirstForms(raw: String, expected: String) {
        #expect(dayFirst.normalize(raw) == .value(expected))
    }

    @Test func dayFirstRejectsMonthFirstOnlyDates() {
        #expect(dayFirst.normalize("12/31/2022") == .invalid(.invalidDate, "month 31 does not exist"))
    }

    @Test("ISO and compact forms, time parts dropped", arguments: [
        ("2022-12-01", "2022-12-01"),
        ("2022/12/01", "2022-12-01"),
        ("2022.12.01", "2022-12-01"),
        ("2022-1-5", "2022-01-05"),
        ("20221201", "2022-12-01"),
        ("18000101", "1800-01-01"),
        ("2022-12-01T13:14:01Z", "2022-12-01"),
        ("2022-12-01T23:59:59Z", "2022-12-01"),       // never shifted by a zone
        ("2022-12-01T00:30:00+05:00", "2022-12-01"),
        ("2022-12-01T23:30:00-0800", "2022-12-01"),
        ("2022-12-01T13:14:01.123Z", "2022-12-01"),
        ("2022-12-01T13:14", "2022-12-01"),
        ("2022-12-01 13:14:01", "2022-12-01"),
        ("2022-12-01 00:00:00.000", "2022-12-01"),
        ("2022-12-01 13:14:01 UTC", "2022-12-01"),
        ("12/1/2022 0:00", "2022-12-01"),             // Excel CSV export of a date-time cell
        ("12/1/2022 12:00:00 AM", "2022-12-01"),
        ("12/1/2022 11:59 pm", "2022-12-01"),
    ])
    func isoForms(raw: String, expected: String) {
        #expect(us.normalize(raw) == .value(expected))
    }

    @Test("RFC 1123", arguments: [
        ("Thu, 01 Dec 2022 00:00:00 GMT", "2022-12-01"),
        ("Thu, 01 Dec 2022 23:59:59 GMT", "2022-12-01"),
        ("thu, 01 dec 2022 00:00:00 gmt", "2022-12-01"),
        ("Thu, 1 Dec 2022 00:00:00 GMT", "2022-12-01"),
        ("Thu, 01 Dec 2022 00:00:00 +0000", "2022-12-01"),
        ("Thu, 01 Dec 2022 23:00:00 -0500", "2022-12-01"), // calendar date as written
        ("Thu, 01 Dec 2022", "2022-12-01"),
        ("Thu, 29 Feb 2024 12:00:00 GMT", "2024-02-29"),
        ("Fri, 31 Dec 1999 23:59:59 GMT", "1999-12-31"),
        ("Wed, 01 Jan 1800 00:00:00 GMT", "1800-01-01"),
        ("Tue, 31 Dec 2199 00:00:00 GMT", "2199-12-31"),
    ])
    func rfc1123(raw: String, expected: String) {
        #expect(us.normalize(raw) == .value(expected))
    }

    @Test("Excel serials, 1900 system", arguments: [
        ("1", "1900-01-01"),
        ("2", "1900-01-02"),
        ("59", "1900-02-28"),
        ("61", "1900-03-01"),
        ("36526", "2000-01-01"),
        ("44896", "2022-12-01"),
        ("44896.5", "2022-12-01"),             // time fraction dropped
        ("44896.999988426", "2022-12-01"),
        ("45000", "2023-03-15"),
        ("99999", "2173-10-13"),
        ("00061", "1900-03-01"),
    ])
    func excel1900(raw: String, expected: String) {
        #expect(us.normalize(raw) == .value(expected))
    }

    @Test("Excel serials, 1904 system", arguments: [
        ("0", "1904-01-01"),
        ("1", "1904-01-02"),
        ("60", "1904-03-01"),                  // no fictitious leap day in 1904 system
        ("43434", "2022-12-01"),
        ("43434.75", "2022-12-01"),
        ("99999", "2177-10-14"),
    ])
    func excel1904(raw: String, expected: String) {
        #expect(mac.normalize(raw) == .value(expected))
    }

    @Test("blank", arguments: ["", " ", "\u{00A0}", "\t \u{2007}"])
    func blank(raw: String) {
        #expect(us.normalize(raw) == .blank)
    }

    @Test("rejected", arguments: [
        ("2/30/2023", "day 30 does not exist in February"),
        ("2/29/2023", "February 29 does not exist in 2023"),
        ("2/29/1900", "February 29 does not exist in 1900"),
        ("4/31/2023", "day 31 does not exist in April"),
        ("13/1/2023", "month 13 does not exist"),
        ("0/1/2023", "month 0 does not exist"),
        ("1/0/2023", "day 0 does not exist"),
        ("2023-00-10", "month 0 does not exist"),
        ("2023-02-29", "February 29 does not exist"),
        ("20230229", "February 29 does not exist"),
        ("20231301", "month 13 does not exist"),
        ("1/1/1799", "year 1799 is outside 1800–2199"),
        ("1/1/2200", "year 2200 is outside 1800–2199"),
        ("0001-01-01", "year 1 is outside"),
        ("12012022", "year 1201 is outside"),     // MMDDYYYY is not accepted
        ("60", "Excel serial date 60 is 1900-02-29"),
        ("60.25", "Excel serial date 60 is 1900-02-29"),
        ("0", "Excel serial date 0 is not a date"),
        ("1965", "looks like a year alone"),            // never read as Excel serial 1965 (1905-05-18)
        ("123456", "6-digit number"),
        ("1234567890", "10-digit number"),
        ("next tuesday", "not a recognised date format"),
        ("12/2023", "not a recognised date format"),
        ("12/1", "not a recognised date format"),
        ("12/1/", "not a recognised date format"),
        ("12/1/2022/", "not a recognised date format"),
        ("12/1-2022", "not a recognised date format"),   // mixed separators
        ("12/1/123", "not a recognised date format"),    // 3-digit year
        ("12/1/2", "not a recognised date format"),
        ("123/1/2022", "not a recognised date format"),
        ("2022-12-01T", "not a recognised date format"),
        ("2022-12-01T25:00:00", "not a recognised date format"),
        ("2022-12-01T12:61:00", "not a recognised date format"),
        ("2022-12-01 noon", "not a recognised date format"),
        ("12/1/2022T10:00", "not a recognised date format"),
        ("12/1/2022 13:00 PM", "not a recognised date format"),
        ("2022-12-01x", "not a recognised date format"),
        ("-44896", "not a recognised date format"),
        ("44896.", "not a recognised date format"),
        ("Dec 1, 2022", "not a recognised date format"),
        ("December 1 2022", "not a recognised date format"),
        ("Thu 01 Dec 2022", "not a recognised date format"),
        ("Xyz, 01 Dec 2022 00:00:00 GMT", "not a recognised date format"),
        ("Thu, 01 Foo 2022 00:00:00 GMT", "not a recognised date format"),
        ("Thu, 01 Dec 22 00:00:00 GMT", "not a recognised date format"),
        ("Thu, 01 Dec 2022 00:00:00 EST", "not a recognised date format"),
        ("Fri, 01 Dec 2022 00:00:00 GMT", "weekday Friday does not match the date, which is a Thursday"),
        ("Thu, 31 Nov 2022 00:00:00 GMT", "day 31 does not exist in November"),
        ("\u{2013}12/1/2022", "not a recognised date format"),
    ])
    func rejects(raw: String, messageContains: String) {
        let result = us.normalize(raw)
        guard case .invalid(let code, let message) = result else {
            Issue.record("expected INVALID_DATE for \(raw), got \(result)")
            return
        }
        #expect(code == .invalidDate)
        #expect(message.contains(messageContains), "message: \(message)")
    }

    @Test func serialSixtyIsFineInThe1904System() {
        #expect(mac.normalize("60") == .value("1904-03-01"))
    }

    @Test func fractionalSerialZeroIn1904() {
        // 1904-system serial 0 is a date; 1900-system serial 0 is not (see rejects).
        #expect(mac.normalize("0.5") == .value("1904-01-01"))
    }

    // MARK: Calendar arithmetic against a brute-force walk

    @Test func civilRoundTripsEveryDayInRange() {
        var expected = DateNormalizer.days(fromCivil: 1800, 1, 1)
        var weekday = 3 // 1800-01-01 was a Wednesday
        for y in 1800...2199 {
            for m in 1...12 {
                for d in 1...DateNormalizer.daysInMonth(y, m) {
                    let days = DateNormalizer.days(fromCivil: y, m, d)
                    #expect(days == expected)
                    let back = DateNormalizer.civil(fromDays: days)
                    #expect(back.year == y && back.month == m && back.day == d)
                    #expect(DateNormalizer.weekday(y, m, d) == weekday)
                    expected += 1
                    weekday = (weekday + 1) % 7
                    if days != expected - 1 || back.year != y { return }
                }
            }
        }
        #expect(DateNormalizer.days(fromCivil: 1970, 1, 1) == 0)
        #expect(DateNormalizer.days(fromCivil: 1899, 12, 30) == DateNormalizer.excel1900Base)
        #expect(DateNormalizer.days(fromCivil: 1904, 1, 1) == DateNormalizer.excel1904Base)
    }

    @Test("leap years", arguments: [(1900, false), (2000, true), (2023, false), (2024, true), (2100, false), (1804, true)])
    func leapYears(year: Int, leap: Bool) {
        #expect(DateNormalizer.isLeap(year) == leap)
    }
}
