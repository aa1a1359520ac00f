/// A payment as reconciliation sees it: its date and amount. `getpayments` shows neither the
/// invoice nor any id we sent, so date and amount are all a payment can be matched on.
public struct PaymentKey: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// `yyyy-mm-dd`
    public let date: String
    public let cents: Int

    public init(date: String, cents: Int) {
        self.date = date
        self.cents = cents
    }

    /// From the values a writer sends: `2025-09-01` and `100.00`.
    public init?(date: String, amount: String) {
        guard let cents = PaymentKey.cents(amount) else { return nil }
        self.init(date: date, cents: cents)
    }

    /// From a `getpayments` item, whatever date style and amount spelling the server used
    /// (`Tue, 20 Feb 2024 00:00:00 GMT`, `2/20/2024`, `$15.00`).
    public init?(serverDate: String, serverAmount: String) {
        guard case let .value(date, _) = DateNormalizer().normalize(serverDate),
              case let .value(amount, _) = MoneyNormalizer().normalize(serverAmount) else { return nil }
        self.init(date: date, amount: amount)
    }

    /// `1234.50` → 123450; nil for anything that is not a plain decimal amount.
    static func cents(_ amount: String) -> Int? {
        var negative = false
        var text = Substring(amount)
        if text.first == "-" { negative = true; text = text.dropFirst() }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, let whole = Int(parts[0]), !parts[0].isEmpty else { return nil }
        var fraction = 0
        if parts.count == 2 {
            let digits = parts[1]
            guard digits.count <= 2, digits.allSatisfy(\.isNumber) else { return nil }
            fraction = (Int(digits) ?? 0) * (digits.count == 1 ? 10 : 1)
        }
        let value = whole * 100 + fraction
        return negative ? -value : value
    }

    public var amount: String {
        let sign = cents < 0 ? "-" : ""
        let absolute = abs(cents)
        let fraction = absolute % 100
        return "\(sign)\(absolute / 100).\(fraction < 10 ? "0" : "")\(fraction)"
    }

    /// `2025-09-01|100.00`: the journal's spelling.
    public var description: String { "\(date)|\(amount)" }

    init?(journalText: String) {
        let parts = journalText.split(separator: "|")
        guard parts.count == 2 else { return nil }
        self.init(date: String(parts[0]), amount: String(parts[1]))
    }

    public static func < (lhs: PaymentKey, rhs: PaymentKey) -> Bool { (lhs.date, lhs.cents) < (rhs.date, rhs.cents) }
}

extension Array where Element: Hashable {
    /// How many times each key occurs (a plan may hold the same date and amount twice).
    var tally: [Element: Int] { reduce(into: [:]) { $0[$1, default: 0] += 1 } }
}
