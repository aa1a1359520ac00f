import Foundation

/// Which epoch a workbook's serial dates count from (Excel for Windows vs. old Mac workbooks).
public enum ExcelDateSystem: Sendable {
    /// Serial 1 = 1900-01-01; serial 60 is Excel's fictitious 1900-02-29; serial 61 = 1900-03-01.
    case system1900
    /// Serial 0 = 1904-01-01.
    case system1904
}

/// Calendar dates, output `yyyy-mm-dd`.
///
/// Accepted: `M/D/YYYY`, `MM/DD/YYYY`, `M/D/YY` (with `-` or `.` instead of `/`, the same
/// separator twice; `dayFirst` reads `D/M/Y`); `YYYY-MM-DD`, `YYYY/MM/DD`, `YYYY.MM.DD`;
/// `YYYYMMDD`; any of these followed by a time of day (`T13:14:01Z`, ` 13:14:01`,
/// ` 0:00`, ` 12:00:00 AM`, `+05:00`…), which is dropped and never shifts the date;
/// RFC 1123 `Thu, 01 Dec 2022 00:00:00 GMT` (the weekday must match); Excel serial numbers
/// of 1–5 digits with an optional fractional time part (dropped).
/// A 2-digit year `YY` is in the current century when `YY <= currentYear % 100`, else the one before.
///
/// Rejected (`INVALID_DATE`): impossible dates, years outside 1800…2199, Excel serial 60 in
/// the 1900 system (1900-02-29 never existed) and serial 0 there, anything else.
///
/// The calendar arithmetic is done by hand (proleptic Gregorian): no DateFormatter or Calendar.
public struct DateNormalizer: Normalizer {
    public static let name = "date"

    public let dayFirst: Bool
    public let excelDateSystem: ExcelDateSystem
    public let currentYear: Int
    /// False for values read from Scollect, which never holds Excel serial numbers.
    public let acceptsSerials: Bool

    public init(dayFirst: Bool = false,
                excelDateSystem: ExcelDateSystem = .system1900,
                currentYear: Int = DateNormalizer.currentUTCYear(),
                acceptsSerials: Bool = true) {
        self.dayFirst = dayFirst
        self.excelDateSystem = excelDateSystem
        self.currentYear = currentYear
        self.acceptsSerials = acceptsSerials
    }

    /// How Scollect's own dates are read (`M/D/YYYY`, `yyyy-mm-dd`, RFC 1123): month first
    /// and no Excel serials, whatever the pipeline's options say about the file.
    public static let serverStyles = DateNormalizer(dayFirst: false, acceptsSerials: false)

    /// This year by the system clock, in UTC.
    public static func currentUTCYear() -> Int {
        let seconds = Date().timeIntervalSince1970
        let days = Int((seconds / 86_400).rounded(.down))
        return civil(fromDays: days).year
    }

    public func normalize(_ raw: String) -> Normalized {
        TextNormalizer.withBytes(raw) { normalize(bytes: $0) }
    }

    // MARK: - Calendar arithmetic

    static let minYear = 1800
    static let maxYear = 2199

    @inline(__always)
    static func isLeap(_ y: Int) -> Bool { y % 4 == 0 && (y % 100 != 0 || y % 400 == 0) }

    @inline(__always)
    static func daysInMonth(_ y: Int, _ m: Int) -> Int {
        switch m {
        case 2: return isLeap(y) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
    static func days(fromCivil year: Int, _ month: Int, _ day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = month > 2 ? month - 3 : month + 9
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The proleptic Gregorian date `days` after 1970-01-01 (H. Hinnant's `civil_from_days`).
    static func civil(fromDays days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }

    /// 0 = Sunday … 6 = Saturday.
    static func weekday(_ y: Int, _ m: Int, _ d: Int) -> Int {
        let r = (days(fromCivil: y, m, d) + 4) % 7 // 1970-01-01 was a Thursday
        return r < 0 ? r + 7 : r
    }

    /// `days(fromCivil: 1899, 12, 30)`: Excel 1900-system serials from 61 on count from here.
    static let excel1900Base = -25_569
    /// `days(fromCivil: 1904, 1, 1)`: Excel 1904-system serial 0.
    static let excel1904Base = -24_107

    // MARK: - Parsing

    private func invalid(_ message: String) -> Normalized { .invalid(.invalidDate, message) }

    @inline(__always)
    private static func number(_ p: UnsafeBufferPointer<UInt8>, _ s: Int, _ n: Int) -> Int {
        var v = 0
        for i in s..<(s + n) { v = v * 10 + Int(p[i] &- 0x30) }
        return v
    }

    /// Length of the run of ASCII digits at `i` (at most `limit + 1` are counted).
    @inline(__always)
    private static func digitRun(_ p: UnsafeBufferPointer<UInt8>, _ i: Int, _ e: Int, limit: Int = 8) -> Int {
        var j = i
        while j < e, j - i <= limit, TextNormalizer.isDigit(p[j]) { j += 1 }
        return j - i
    }

    public func normalize(utf8 bytes: UnsafeBufferPointer<UInt8>) -> Normalized { normalize(bytes: bytes) }

    private func normalize(bytes p: UnsafeBufferPointer<UInt8>) -> Normalized {
        let (s, e) = TextNormalizer.trimmed(p)
        if s == e { return .blank }
        let b0 = p[s]

        if TextNormalizer.isASCIILetter(b0) { return rfc1123(p, s, e) }
        guard TextNormalizer.isDigit(b0) else { return unrecognised() }

        let n = Self.digitRun(p, s, e, limit: 12)
        let j = s + n
        if j == e {
            if n == 8 { return make(Self.number(p, s, 4), Self.number(p, s + 4, 2), Self.number(p, s + 6, 2)) }
            if n == 4, (1800...2199).contains(Self.number(p, s, 4)) {
                // A bare year is far likelier than a serial date before 1927: never guess.
                return invalid("\(Self.number(p, s, 4)) looks like a year alone, not a full date")
            }
            if n <= 5 { return acceptsSerials ? serial(Self.number(p, s, n)) : unrecognised() }
            return invalid("\(n)-digit number is neither an Excel serial date (1–5 digits) nor YYYYMMDD")
        }

        let sep = p[j]
        if sep == UInt8(ascii: "."), n <= 5, acceptsSerials {
            // Excel serial with a time fraction: `44896.5`.
            let f = Self.digitRun(p, j + 1, e, limit: 20)
            if f > 0 && j + 1 + f == e { return serial(Self.number(p, s, n)) }
        }
        guard sep == UInt8(ascii: "/") || sep == UInt8(ascii: "-") || sep == UInt8(ascii: ".") else {
            return unrecognised()
        }

        // Second component: 1 or 2 digits, then the same separator.
        let i2 = j + 1
        let n2 = Self.digitRun(p, i2, e)
        guard n2 >= 1, n2 <= 2, i2 + n2 < e, p[i2 + n2] == sep else { return unrecognised() }
        // Third component.
        let i3 = i2 + n2 + 1
        let second = Self.number(p, i2, n2)

        if n == 4 {
            // Year first: YYYY-MM-DD, optionally with a time part.
            let n3 = Self.digitRun(p, i3, e)
            guard n3 >= 1, n3 <= 2, Self.validTimeSuffix(p, i3 + n3, e, allowT: true) else {
                return unrecognised()
            }
            return make(Self.number(p, s, 4), second, Self.number(p, i3, n3))
        }
        guard n <= 2 else { return unrecognised() }

        // M/D/Y or D/M/Y with a 2- or 4-digit year.
        let n3 = Self.digitRun(p, i3, e)
        guard n3 == 2 || n3 == 4, Self.validTimeSuffix(p, i3 + n3, e, allowT: false) else {
            return unrecognised()
        }
        var year = Self.number(p, i3, n3)
        if n3 == 2 {
            let yy = ((currentYear % 100) + 100) % 100
            let century = currentYear - yy
            year = year <= yy ? century + year : century - 100 + year
        }
        let first = Self.number(p, s, n)
        return dayFirst ? make(year, second, first) : make(year, first, second)
    }

    private func unrecognised() -> Normalized {
        invalid("not a recognised date format")
    }

    private func serial(_ serial: Int) -> Normalized {
        let days: Int
        switch excelDateSystem {
        case .system1900:
            if serial == 0 { return invalid("Excel serial date 0 is not a date (Excel shows 1900-01-00)") }
            if serial == 60 {
                return invalid("Excel serial date 60 is 1900-02-29, which never existed (Excel's 1900 leap-year bug)")
            }
            days = serial < 60 ? Self.excel1900Base + 1 + serial : Self.excel1900Base + serial
        case .system1904:
            days = Self.excel1904Base + serial
        }
        let (y, m, d) = Self.civil(fromDays: days)
        return make(y, m, d)
    }

    private static let monthNames = ["", "January", "February", "March", "April", "May", "June", "July",
                                     "August", "September", "October", "November", "December"]

    private func check(_ y: Int, _ m: Int, _ d: Int) -> String? {
        if y < Self.minYear || y > Self.maxYear {
            return "year \(y) is outside \(Self.minYear)–\(Self.maxYear)"
        }
        if m < 1 || m > 12 { return "month \(m) does not exist" }
        if d < 1 { return "day \(d) does not exist" }
        let dim = Self.daysInMonth(y, m)
        if d > dim {
            if m == 2 && d == 29 { return "February 29 does not exist in \(y) (not a leap year)" }
            return "day \(d) does not exist in \(Self.monthNames[m]) (\(dim) days in \(y))"
        }
        return nil
    }

    private func make(_ y: Int, _ m: Int, _ d: Int) -> Normalized {
        if let problem = check(y, m, d) { return invalid(problem) }
        return .value(TextNormalizer.dashed(y, width: 4, m, width: 2, d, width: 2))
    }

    // MARK: RFC 1123

    /// Three ASCII letters at `i`, lower-cased and packed, or nil.
    @inline(__always)
    private static func word3(_ p: UnsafeBufferPointer<UInt8>, _ i: Int, _ e: Int) -> UInt32? {
        guard i + 3 <= e else { return nil }
        var v: UInt32 = 0
        for k in 0..<3 {
            let b = p[i + k]
            guard TextNormalizer.isASCIILetter(b) else { return nil }
            v = v << 8 | UInt32(b | 0x20)
        }
        return v
    }

    private static func pack(_ s: StaticString) -> UInt32 {
        let p = s.utf8Start
        return UInt32(p[0]) << 16 | UInt32(p[1]) << 8 | UInt32(p[2])
    }

    private static let weekdays: [UInt32] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"].map(pack)
    private static let months: [UInt32] = ["jan", "feb", "mar", "apr", "may", "jun",
                                           "jul", "aug", "sep", "oct", "nov", "dec"].map(pack)
    private static let weekdayNames = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]

    /// `Thu, 01 Dec 2022 00:00:00 GMT` (a 1-digit day and a missing time are tolerated).
    private func rfc1123(_ p: UnsafeBufferPointer<UInt8>, _ s: Int, _ e: Int) -> Normalized {
        guard let wd = Self.word3(p, s, e), let weekday = Self.weekdays.firstIndex(of: wd),
              s + 5 < e, p[s + 3] == UInt8(ascii: ","), p[s + 4] == UInt8(ascii: " ")
        else { return unrecognised() }
        var i = s + 5
        let nd = Self.digitRun(p, i, e)
        guard nd == 1 || nd == 2 else { return unrecognised() }
        let day = Self.number(p, i, nd)
        i += nd
        guard i < e, p[i] == UInt8(ascii: " "), let mw = Self.word3(p, i + 1, e),
              let month0 = Self.months.firstIndex(of: mw) else { return unrecognised() }
        i += 4
        guard i < e, p[i] == UInt8(ascii: " ") else { return unrecognised() }
        i += 1
        guard Self.digitRun(p, i, e) == 4, Self.validTimeSuffix(p, i + 4, e, allowT: false) else {
            return unrecognised()
        }
        let year = Self.number(p, i, 4)
        let month = month0 + 1
        if let problem = check(year, month, day) { return invalid(problem) }
        let actual = Self.weekday(year, month, day)
        if actual != weekday {
            return invalid("weekday \(Self.weekdayNames[weekday]) does not match the date, which is a \(Self.weekdayNames[actual])")
        }
        return make(year, month, day)
    }

    // MARK: Time of day (validated, then dropped)

    /// True when `i..<e` is empty or a time of day: `T` (ISO only) or a space, then
    /// `H:MM[:SS[.fff]]`, an optional ` AM`/` PM`, and an optional zone (`Z`, `±HH[:MM]`,
    /// `±HHMM`, ` UTC`, ` GMT`, ` UT`, ` +0000`).
    static func validTimeSuffix(_ p: UnsafeBufferPointer<UInt8>, _ start: Int, _ e: Int, allowT: Bool) -> Bool {
        var i = start
        if i == e { return true }
        let lead = p[i]
        guard lead == UInt8(ascii: " ") || (allowT && (lead == UInt8(ascii: "T") || lead == UInt8(ascii: "t"))) else {
            return false
        }
        i += 1
        let nh = digitRun(p, i, e)
        guard nh == 1 || nh == 2 else { return false }
        let hour = number(p, i, nh)
        i += nh
        guard i + 3 <= e, p[i] == UInt8(ascii: ":"), digitRun(p, i + 1, e) == 2 else { return false }
        let minute = number(p, i + 1, 2)
        i += 3
        var second = 0
        if i < e, p[i] == UInt8(ascii: ":") {
            guard digitRun(p, i + 1, e) == 2 else { return false }
            second = number(p, i + 1, 2)
            i += 3
            if i < e, p[i] == UInt8(ascii: ".") || p[i] == UInt8(ascii: ",") {
                let nf = digitRun(p, i + 1, e, limit: 12)
                guard nf >= 1, nf <= 9 else { return false }
                i += 1 + nf
            }
        }
        guard minute <= 59, second <= 60 else { return false }

        // AM / PM.
        var twelveHour = false
        if i + 3 <= e, p[i] == UInt8(ascii: " ") {
            let a = p[i + 1] | 0x20, m = p[i + 2] | 0x20
            if (a == UInt8(ascii: "a") || a == UInt8(ascii: "p")) && m == UInt8(ascii: "m")
                && (i + 3 == e || !TextNormalizer.isASCIILetter(p[i + 3])) {
                twelveHour = true
                i += 3
            }
        }
        if twelveHour { guard hour >= 1, hour <= 12 else { return false } } else { guard hour <= 23 else { return false } }
        if i == e { return true }

        // Zone.
        if i < e, p[i] == UInt8(ascii: " ") {
            i += 1
            if let w = word3(p, i, e), w == pack("utc") || w == pack("gmt") { return i + 3 == e }
            if i + 2 == e, p[i] | 0x20 == UInt8(ascii: "u"), p[i + 1] | 0x20 == UInt8(ascii: "t") { return true }
            if i == e { return false }
        }
        let z = p[i]
        if (z == UInt8(ascii: "Z") || z == UInt8(ascii: "z")) { return i + 1 == e }
        guard z == UInt8(ascii: "+") || z == UInt8(ascii: "-") else { return false }
        i += 1
        guard digitRun(p, i, e) >= 2 else { return false }
        let zh = number(p, i, 2)
        i += 2
        var zm = 0
        if i < e, p[i] == UInt8(ascii: ":") { i += 1 }
        if i < e {
            guard digitRun(p, i, e) == 2, i + 2 == e else { return false }
            zm = number(p, i, 2)
            i += 2
        }
        return i == e && zh <= 14 && zm <= 59
    }
}

extension DateNormalizer: NormalizerComponent {
    public static let spec = ComponentSpec(.normalizer, name,
        summary: "yyyy-mm-dd. Accepts M/D/YYYY, MM/DD/YY (20YY when YY ≤ this year's, else 19YY), ISO, Excel serials, RFC 1123 (the calendar day as written); rejects impossible dates.",
        options: [
            OptionSpec("day_first", .boolean, default: "false", help: "Read 3/6/2024 as 3 June (also settable for every date field under options:).", example: "true"),
            OptionSpec("excel_date_system", .oneOf(["1900", "1904"]), default: "1900", help: "The workbook's date system for Excel serial numbers (also under options:).", example: "\"1904\""),
        ],
        example: "normalize:\n  birthdate: date\n  dateofservice: { type: date, day_first: true }")

    public static func make(_ options: ConfigSection) throws -> DateNormalizer {
        DateNormalizer(dayFirst: try options["day_first"]?.bool() ?? false,
                       excelDateSystem: try options["excel_date_system"]?.string() == "1904" ? .system1904 : .system1900)
    }
}
