import Foundation

/// One value of an exported cell. Writers decide how each kind is written: CSV and NDJSON
/// write `text`; XLSX writes numbers as numbers, dates as date-styled serials and everything
/// else as text (so SSNs, zips and account numbers keep their leading zeros).
public enum ExportValue: Equatable, Sendable {
    case empty
    case text(String)
    /// A decimal number as text, exactly as it is to be shown (`809.00`, `3`).
    case number(String)
    /// A calendar date, and its text in the column's pattern.
    case date(year: Int, month: Int, day: Int, text: String)

    public var text: String {
        switch self {
        case .empty: return ""
        case let .text(t), let .number(t): return t
        case let .date(_, _, _, t): return t
        }
    }
}

/// A date pattern a client asks for (`yyyy-MM-dd`, `MM/dd/yyyy`, `M/d/yy`): `yyyy`, `yy`,
/// `MM`, `M`, `dd`, `d`; anything else is literal.
public struct ExportDatePattern: Equatable, Sendable {
    enum Token: Equatable, Sendable { case year4, year2, month2, month, day2, day, literal(String) }
    let tokens: [Token]
    public let pattern: String

    public static let iso = ExportDatePattern("yyyy-MM-dd")!

    public init?(_ pattern: String) {
        var tokens: [Token] = []
        let chars = Array(pattern)
        var i = 0
        func run(_ c: Character) -> Int { var n = 0; while i + n < chars.count && chars[i + n] == c { n += 1 }; return n }
        while i < chars.count {
            let c = chars[i]
            switch c {
            case "y":
                let n = run("y")
                guard n == 2 || n == 4 else { return nil }
                tokens.append(n == 4 ? .year4 : .year2); i += n
            case "M":
                let n = run("M")
                guard n <= 2 else { return nil }
                tokens.append(n == 2 ? .month2 : .month); i += n
            case "d":
                let n = run("d")
                guard n <= 2 else { return nil }
                tokens.append(n == 2 ? .day2 : .day); i += n
            default:
                guard !c.isLetter else { return nil }
                tokens.append(.literal(String(c))); i += 1
            }
        }
        guard tokens.contains(.year4) || tokens.contains(.year2) else { return nil }
        self.tokens = tokens
        self.pattern = pattern
    }

    public func format(year: Int, month: Int, day: Int) -> String {
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        var out = ""
        for token in tokens {
            switch token {
            case .year4: out += String(format: "%04d", year)
            case .year2: out += two(year % 100)
            case .month2: out += two(month)
            case .month: out += String(month)
            case .day2: out += two(day)
            case .day: out += String(day)
            case let .literal(text): out += text
            }
        }
        return out
    }

    /// The same pattern as a spreadsheet number format code, so a spreadsheet shows the
    /// date cell the way the CSV export writes it.
    public var excelFormatCode: String {
        tokens.map { token -> String in
            switch token {
            case .year4: return "yyyy"
            case .year2: return "yy"
            case .month2: return "mm"
            case .month: return "m"
            case .day2: return "dd"
            case .day: return "d"
            case let .literal(text): return "\\" + text
            }
        }.joined()
    }
}

/// One account as read for an export: its portfolio, file number, `getaccount` record and
/// the included lists, each in the order the API returned it.
public struct ExportAccount: Sendable {
    public let portfolio: String
    public let filenumber: String
    /// The account record's fields, keys lower-cased (file numbers and keys are case-insensitive).
    public var fields: [String: JSONValue] = [:]
    public var lists: [ExportPipelineConfig.Include: [JSONValue]] = [:]

    public init(portfolio: String, filenumber: String) {
        self.portfolio = portfolio
        self.filenumber = filenumber
    }

    /// Sets the account record from a `getaccount` result object.
    public mutating func setRecord(_ pairs: [(String, JSONValue)]) {
        fields = Dictionary(pairs.map { ($0.0.lowercased(), $0.1) }, uniquingKeysWith: { first, _ in first })
    }

    /// A field of the account record (case-insensitive); `filenumber` and `portfolio` are
    /// always known.
    public func field(_ key: String) -> JSONValue? {
        let lower = key.lowercased()
        if let value = fields[lower] { return value }
        switch lower {
        case "filenumber": return .string(filenumber)
        case "portfolio": return .string(portfolio)
        default: return nil
        }
    }

    static func text(_ value: JSONValue?) -> String {
        guard let value else { return "" }
        if case .null = value { return "" }
        return value.stringValue ?? value.serialized
    }

    static func item(_ object: JSONValue, _ key: String) -> JSONValue? {
        if let value = object[key] { return value }
        let lower = key.lowercased()
        return object.objectValue?.first { $0.0.lowercased() == lower }?.1
    }
}

/// One output column: `{ name: "Balance", from: currentbalance, format: money }`.
///
/// `from` is a field of the account record (`getaccount`; `filenumber` and `portfolio` always
/// work), or an aggregate of an included list: `payments.count`, `payments.first.KEY`,
/// `payments.last.KEY`, `payments.sum.KEY` (a money sum).
/// `format`: `text` (default, kept as text), `number`, `money` (`$1,234.5` → `1234.50`),
/// `date` (any of the API's date styles → `yyyy-mm-dd`, or the column's `date:` pattern),
/// `ssn` (as stored), `ssn_last4`, `ssn_masked` (`***-**-3333`). A value a format cannot read
/// is exported as it is, as text: an export never drops what the API holds.
public struct ExportColumn: Sendable {
    public enum Position: String, Sendable { case first, last }

    public enum Source: Equatable, Sendable {
        case field(String)
        case count(ExportPipelineConfig.Include)
        case item(ExportPipelineConfig.Include, Position, String)
        case sum(ExportPipelineConfig.Include, String)
    }

    public enum Format: Equatable, Sendable {
        case text, number, money, ssn, ssnLast4, ssnMasked
        case date(ExportDatePattern)

        public static let names = ["text", "number", "money", "date", "ssn", "ssn_last4", "ssn_masked"]

        /// The date pattern of a date column.
        public var pattern: ExportDatePattern? {
            if case let .date(pattern) = self { return pattern }
            return nil
        }
    }

    public let name: String
    public let source: Source
    public let format: Format

    public init(name: String, source: Source, format: Format) {
        self.name = name
        self.source = source
        self.format = format
    }

    /// Parses `from`; nil when it is not a field name or a known aggregate.
    public static func source(from text: String) -> Source? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard let head = parts.first, !head.isEmpty, parts.allSatisfy({ !$0.isEmpty }) else { return nil }
        let named = ExportPipelineConfig.Include(rawValue: head)
        if named == nil || named == .account {
            // `currentbalance`, or `account.currentbalance`.
            if parts.count == 1 && named == nil { return .field(head) }
            return named == .account && parts.count == 2 ? .field(parts[1]) : nil
        }
        let list = named!
        guard parts.count > 1 else { return nil }
        switch (parts.count, parts[1]) {
        case (2, "count"): return .count(list)
        case (3, "first"): return .item(list, .first, parts[2])
        case (3, "last"): return .item(list, .last, parts[2])
        case (3, "sum"): return .sum(list, parts[2])
        default: return nil
        }
    }

    /// The list (or the account record) this column reads.
    public var reads: ExportPipelineConfig.Include? {
        switch source {
        case let .field(key): return ["filenumber", "portfolio"].contains(key.lowercased()) ? nil : .account
        case let .count(list), let .item(list, _, _), let .sum(list, _): return list
        }
    }

    public func value(for account: ExportAccount) -> ExportValue {
        switch source {
        case let .field(key):
            return render(ExportAccount.text(account.field(key)))
        case let .count(list):
            return .number(String(account.lists[list]?.count ?? 0))
        case let .item(list, position, key):
            let items = account.lists[list] ?? []
            guard let item = position == .first ? items.first : items.last else { return .empty }
            return render(ExportAccount.text(ExportAccount.item(item, key)))
        case let .sum(list, key):
            var cents = 0
            for item in account.lists[list] ?? [] {
                guard case let .value(amount, _) = MoneyNormalizer().normalize(ExportAccount.text(ExportAccount.item(item, key))),
                      let parsed = ExportColumn.cents(amount) else { continue }
                cents += parsed
            }
            return .number(ExportColumn.money(cents: cents))
        }
    }

    /// Applies the column's format to a raw API value. Scollect's placeholders for "nothing"
    /// (`null`, `000-00-0000`, `0000-00-00 00:00:00`, the 1900 / 1899 sentinel dates) are
    /// written empty: a client reading `1900-01-01` as a birthdate would be misled.
    public func render(_ raw: String) -> ExportValue {
        if ServerValues.isEmpty(raw) { return .empty }
        let trimmed = raw.trimmingCharacters(in: .whitespaces)
        switch format {
        case .text:
            // The API pads blank fields with a space (" "): blank is blank in an export.
            return trimmed.isEmpty ? .empty : .text(trimmed)
        case .number:
            if trimmed.isEmpty { return .empty }
            return ExportColumn.isPlainDecimal(trimmed) ? .number(trimmed) : .text(trimmed)
        case .money:
            switch MoneyNormalizer().normalize(raw) {
            case let .value(amount, _): return .number(amount)
            case .blank: return .empty
            case .invalid: return .text(trimmed)
            }
        case let .date(pattern):
            switch ExportColumn.dates.normalize(raw) {
            case let .value(iso, _):
                let p = iso.split(separator: "-").compactMap { Int($0) }
                guard p.count == 3 else { return .text(trimmed) }
                return .date(year: p[0], month: p[1], day: p[2], text: pattern.format(year: p[0], month: p[1], day: p[2]))
            case .blank: return .empty
            case .invalid: return .text(trimmed)
            }
        case .ssn:
            return trimmed.isEmpty ? .empty : .text(trimmed)
        case .ssnLast4:
            let digits = trimmed.filter(\.isNumber)
            return digits.isEmpty ? .empty : .text(String(digits.suffix(4)))
        case .ssnMasked:
            return trimmed.filter(\.isNumber).isEmpty ? .empty : .text(Masking.maskSSN(trimmed))
        }
    }

    static let dates = DateNormalizer.serverStyles

    /// `-?digits[.digits]` without leading zeros: a number every writer (JSON included) can
    /// write as it is.
    static func isPlainDecimal(_ text: String) -> Bool {
        var bytes = Array(text.utf8)[...]
        if bytes.first == UInt8(ascii: "-") { bytes = bytes.dropFirst() }
        let parts = bytes.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard parts.count <= 2, let whole = parts.first, !whole.isEmpty, whole.allSatisfy({ $0 >= 48 && $0 <= 57 }),
              whole.count == 1 || whole.first != 48 else { return false }
        if parts.count == 2 { return !parts[1].isEmpty && parts[1].allSatisfy { $0 >= 48 && $0 <= 57 } }
        return true
    }

    static func cents(_ amount: String) -> Int? {
        let negative = amount.hasPrefix("-")
        let parts = amount.drop { $0 == "-" }.split(separator: ".")
        guard let whole = Int(parts.first ?? ""), parts.count <= 2 else { return nil }
        let fraction = parts.count == 2 ? Int(parts[1].prefix(2).padding(toLength: 2, withPad: "0", startingAt: 0)) ?? 0 : 0
        return (whole * 100 + fraction) * (negative ? -1 : 1)
    }

    static func money(cents: Int) -> String {
        let sign = cents < 0 ? "-" : ""
        let magnitude = abs(cents)
        return sign + "\(magnitude / 100)." + (magnitude % 100 < 10 ? "0" : "") + "\(magnitude % 100)"
    }
}
