/// A note attached to a value that was normalised but lost something on the way
/// (a phone extension, for instance). It goes to the rejects report as a warning line.
public struct NormalizeWarning: Equatable, Sendable {
    public let code: ReasonCode
    public let message: String
    public init(code: ReasonCode, message: String) {
        self.code = code
        self.message = message
    }
}

/// The outcome of normalising one source value.
public enum Normalized: Equatable, Sendable {
    /// The value in the API's documented format, possibly with a warning.
    case value(String, warning: NormalizeWarning? = nil)
    /// Nothing there (empty or whitespace only): "no news", never a reason to clear a field.
    case blank
    /// The value cannot be put into the documented format; it is never guessed.
    case invalid(ReasonCode, String)
}

/// Turns one raw source value into the format the Scollect API documents.
/// Implementations are pure and thread-safe: the engine calls them from several threads.
public protocol Normalizer: Sendable {
    /// The name used in pipeline files (`ssn`, `phone`, `date`, `money`, `text`).
    static var name: String { get }
    func normalize(_ raw: String) -> Normalized
    /// The same on the value's UTF-8 bytes (valid UTF-8): the reader's hot path, which spares
    /// making a String for every cell of every row.
    func normalize(utf8 bytes: UnsafeBufferPointer<UInt8>) -> Normalized
}

extension Normalizer {
    public func normalize(utf8 bytes: UnsafeBufferPointer<UInt8>) -> Normalized {
        normalize(String(decoding: bytes, as: UTF8.self))
    }
}
