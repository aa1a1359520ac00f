import Foundation

/// How long a 429's `Retry-After` makes every caller wait. A server's answer is untrusted: a
/// value that is not finite (`inf`, `nan`, `1e999`), negative or longer than `longestWait`
/// would crash the pacing arithmetic or hang the run, so it is replaced by one wait of
/// `longestWait` and a warning.
public enum RetryAfter {
    public static let longestWait: Double = 300

    public struct Decision: Equatable, Sendable {
        public let seconds: Double
        /// Set when the server's value was replaced.
        public let warning: String?
    }

    /// nil when there is no usable number (no header, or an HTTP-date): the backoff applies.
    public static func decide(_ header: String?) -> Decision? {
        guard let header else { return nil }
        let text = header.trimmingCharacters(in: .whitespaces)
        guard let value = Double(text) else { return nil }
        if value.isFinite, value >= 0, value <= longestWait { return Decision(seconds: value, warning: nil) }
        let shown = String(text.unicodeScalars.filter { $0.value >= 0x20 && $0.value < 0x7F }.prefix(40).map(Character.init))
        return Decision(seconds: longestWait,
                        warning: "warning: the server answered 429 with Retry-After \"\(shown)\" (not a number of seconds between 0 and \(Int(longestWait))): waiting \(Int(longestWait)) s")
    }
}
