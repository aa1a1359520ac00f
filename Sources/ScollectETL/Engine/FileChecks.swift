import Foundation

/// The pipeline's `checks:` — what a creditor's file must satisfy before any call is made.
///
/// ```yaml
/// checks:
///   required: [lastname, currentbalance]             # or { fields: […], on_fail: hold }
///   duplicate_filenumbers: last_wins                 # reject (hold the file) | first_wins | last_wins
///   control_total: { trailer_marker: TRAILER, sum_of: currentbalance }
///   no_future_dates: [birthdate, dateaccountopened]  # or { fields: […], on_fail: hold }
///   balance_adds_up: { total: currentbalance, parts: [principal, accruedinterest, miscfees], tolerance: 0.01 }
/// ```
///
/// Checks that concern the whole file (a duplicated file number under `reject`, a control
/// total, any check with `on_fail: hold`) are run in a first pass over the file: a file that
/// fails one is held — no call is made and the run exits 4, saying why. Row checks with
/// `on_fail: reject_row` (their default) reject only the rows that fail.
public struct FileChecks: Sendable {
    public enum Action: String, Sendable, CaseIterable {
        /// The whole file is held: no call is made.
        case hold
        /// Only the failing row is rejected.
        case rejectRow = "reject_row"
    }

    public enum DuplicatePolicy: String, Sendable, CaseIterable {
        /// A file number on two rows holds the whole file.
        case reject
        /// The first row of the account is loaded, the later ones rejected.
        case firstWins = "first_wins"
        /// The last row of the account is loaded, the earlier ones rejected.
        case lastWins = "last_wins"
    }

    /// A trailer row: its first cell is the marker, the second the number of data rows, the
    /// third (when `sum_of` is set) the sum of that field over the data rows.
    public struct ControlTotal: Sendable {
        public var trailerMarker: String
        public var sumOf: String?
    }

    public struct BalanceRule: Sendable {
        public var total: String
        public var parts: [String]
        public var tolerance: Decimal
        public var action: Action
    }

    public var required: [String] = []
    public var requiredAction = Action.rejectRow
    public var duplicates: DuplicatePolicy?
    public var controlTotal: ControlTotal?
    public var noFutureDates: [String] = []
    public var futureDatesAction = Action.rejectRow
    public var balance: BalanceRule?
    /// "Today" for the future-date check, `yyyy-mm-dd` in local time (tests pin it).
    public var today: String = FileChecks.localToday()

    public init() {}

    /// Whether the file must be read once before the run to decide whether it can go at all.
    public var needsFirstPass: Bool {
        duplicates != nil || controlTotal != nil || requiredAction == .hold && !required.isEmpty
            || futureDatesAction == .hold && !noFutureDates.isEmpty || balance?.action == .hold
    }

    /// The row checks that fail for this row, each with what to do about it.
    public func rowIssues(_ row: NormalizedRow) -> [(RowIssue, Action)] {
        var issues: [(RowIssue, Action)] = []
        for field in required where row[field] == nil {
            issues.append((RowIssue(.missingField, field: field, "\(field) is required (checks.required) and the row has none"), requiredAction))
        }
        for field in noFutureDates {
            if case let .value(date)? = row[field], date > today {
                issues.append((RowIssue(.futureDate, field: field, "\(field) \(date) is in the future (checks.no_future_dates)"), futureDatesAction))
            }
        }
        if let balance, case let .value(totalText)? = row[balance.total], let total = Decimal(string: totalText) {
            var sum = Decimal(0)
            var anyPart = false
            for part in balance.parts {
                if case let .value(text)? = row[part], let amount = Decimal(string: text) {
                    sum += amount
                    anyPart = true
                }
            }
            let difference = total - sum
            if anyPart, (difference < 0 ? -difference : difference) > balance.tolerance {
                issues.append((RowIssue(.balanceMismatch, field: balance.total,
                    "\(balance.total) \(totalText) is not the sum of \(balance.parts.joined(separator: " + ")) (\(sum)) (checks.balance_adds_up)"), balance.action))
            }
        }
        return issues
    }

    /// The cells of a trailer row, or nil when the read row is not the trailer. A CSV trailer
    /// has fewer cells than the header, so the reader hands it over as malformed; the reader
    /// splits its raw text.
    public func trailerCells(_ read: ReadResult, reader: any ReaderOptions) -> [String]? {
        guard let marker = controlTotal?.trailerMarker else { return nil }
        let cells: [String]
        switch read {
        case let .record(record): cells = record.values
        case let .malformed(_, _, _, rawText):
            cells = reader.cells(ofRawText: rawText)
        }
        guard let first = cells.first, first.trimmingCharacters(in: .whitespaces).caseInsensitiveCompare(marker) == .orderedSame else { return nil }
        return cells
    }

    static func localToday() -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "yyyy-MM-dd"
        return formatter.string(from: Date())
    }
}
