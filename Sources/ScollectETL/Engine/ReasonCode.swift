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
    /// Not a file number (`FileNumberRule`): never sent, it would change the call's path.
    public static let invalidFilenumber = ReasonCode("INVALID_FILENUMBER")
    // Payment rows checked before any call.
    public static let missingField = ReasonCode("MISSING_FIELD")
    public static let invalidField = ReasonCode("INVALID_FIELD")
    public static let invalidAmount = ReasonCode("INVALID_AMOUNT")
    public static let invalidCard = ReasonCode("INVALID_CARD")
    public static let invalidCardExpiry = ReasonCode("INVALID_CARD_EXPIRY")
    public static let cardExpired = ReasonCode("CARD_EXPIRED")
    public static let invalidCVV = ReasonCode("INVALID_CVV")
    public static let invalidBankAccount = ReasonCode("INVALID_BANK_ACCOUNT")
    public static let planRowsDisagree = ReasonCode("PLAN_ROWS_DISAGREE")
    public static let accountRowsSplit = ReasonCode("ACCOUNT_ROWS_SPLIT")
    public static let planIncomplete = ReasonCode("PLAN_INCOMPLETE")
    // Whole-file checks that reject single rows (see `FileChecks`).
    public static let duplicateFilenumber = ReasonCode("DUPLICATE_FILENUMBER")
    public static let futureDate = ReasonCode("FUTURE_DATE")
    public static let balanceMismatch = ReasonCode("BALANCE_MISMATCH")
    // An account in a status the pipeline protects (bankruptcy, deceased…): left alone.
    public static let accountProtected = ReasonCode("ACCOUNT_PROTECTED")
    // Account maintenance rows checked before any call.
    public static let invalidPermissionValue = ReasonCode("INVALID_PERMISSION_VALUE")
    public static let invalidNoteType = ReasonCode("INVALID_NOTE_TYPE")
    public static let invalidUUID = ReasonCode("INVALID_UUID")
    // Payments the journal refuses to send (again).
    public static let duplicatePayment = ReasonCode("DUPLICATE_PAYMENT")
    public static let accountUnsettled = ReasonCode("ACCOUNT_UNSETTLED")
    public static let interrupted = ReasonCode("INTERRUPTED")
    public static let notAttempted = ReasonCode("NOT_ATTEMPTED")
    // Warnings: the row went on, the note is for the operator.
    public static let phoneExtensionDropped = ReasonCode("PHONE_EXTENSION_DROPPED")
    public static let fieldDropped = ReasonCode("FIELD_DROPPED")
    // What the API said.
    public static let accountNotFound = ReasonCode("ACCOUNT_NOT_FOUND")
    public static let apiError = ReasonCode("API_ERROR")
    public static let apiTimeout = ReasonCode("API_TIMEOUT")
    public static let httpError = ReasonCode("HTTP_ERROR")
    public static let transportError = ReasonCode("TRANSPORT_ERROR")
    /// A call safe to repeat failed its retries while the API otherwise answered: run the file
    /// again later (nothing was written by it).
    public static let apiErrorRetryable = ReasonCode("API_ERROR_RETRYABLE")
    public static let outcomeUnknown = ReasonCode("OUTCOME_UNKNOWN")

    /// A reason a later run of the same file may clear (the API was failing, an outcome was
    /// unknown, the run stopped): the same command again resumes the file for these rows.
    public var isRetryable: Bool { Self.retryable.contains(self) }

    static let retryable: Set<ReasonCode> = [.outcomeUnknown, .apiErrorRetryable, .transportError, .accountUnsettled,
                                             .interrupted, .notAttempted, .apiTimeout]
}
