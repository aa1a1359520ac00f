/// Why a row (or one field of it) did not go through. The raw value is what operators see in
/// the rejects report and the summary, so it is stable, upper-case and self-explaining.
public struct ReasonCode: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }
    public static func < (lhs: ReasonCode, rhs: ReasonCode) -> Bool { lhs.rawValue < rhs.rawValue }

    // Input that could not be read.
    public static let malformedRow = ReasonCode("MALFORMED_ROW")
    // Values that could not be normalised.
    public static let invalidSSN = ReasonCode("INVALID_SSN")
    public static let invalidPhone = ReasonCode("INVALID_PHONE")
    public static let invalidDate = ReasonCode("INVALID_DATE")
    public static let invalidMoney = ReasonCode("INVALID_MONEY")
    public static let missingFilenumber = ReasonCode("MISSING_FILENUMBER")
    // Warnings: the row went on, the note is for the operator.
    public static let phoneExtensionDropped = ReasonCode("PHONE_EXTENSION_DROPPED")
    public static let fieldDropped = ReasonCode("FIELD_DROPPED")
    // What the API said.
    public static let accountNotFound = ReasonCode("ACCOUNT_NOT_FOUND")
    public static let apiError = ReasonCode("API_ERROR")
    public static let apiTimeout = ReasonCode("API_TIMEOUT")
    public static let httpError = ReasonCode("HTTP_ERROR")
    public static let transportError = ReasonCode("TRANSPORT_ERROR")
    public static let outcomeUnknown = ReasonCode("OUTCOME_UNKNOWN")
}
