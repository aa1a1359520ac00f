/// How sensitive a Scollect field's value is: the one classification every report, the
/// journal and the masking follow. Decided by the field's name (the mapping's target, the
/// `fieldname` of an `updatedbase`, a payment body's key), never by the shape of its value.
///
/// | kind | fields | reports and logs | rejects report | journal |
/// |---|---|---|---|---|
/// | `secret` | CVV, apikey, pin, tokens, passwords | never | left empty | never |
/// | `cardNumber` | `cardnumber` | first 6 / last 4 | first 6 / last 4 | first 6 / last 4 |
/// | `bankAccount` | `checkaccountnumber` | last 4 | last 4 | encrypted, else last 4 |
/// | `ssn` | SSN fields of debtor, joint debtor, co-debtors | last 4 | in full (mirrors the input) | encrypted, else last 4 |
public enum FieldSensitivity: Sendable, Equatable {
    case ordinary
    case secret
    case cardNumber
    case bankAccount
    case ssn

    static let secretFields: Set<String> = ["apikey", "pin", "access_token", "token", "password", "threedigitnumber", "cvv",
                                            "cvv2", "cvc", "authorization"]
    static let cardFields: Set<String> = ["cardnumber"]
    static let bankAccountFields: Set<String> = ["checkaccountnumber", "checkaccountlast4"]
    static let ssnFields: Set<String> = ["socialsecuritynumber", "jointsocial", "codebtor1socialsecurity", "codebtor2socialsecurity", "ssn"]

    /// The classification of a field by its (case-insensitive) name.
    public static func of(field name: String) -> FieldSensitivity {
        let field = name.lowercasedIfNeeded()
        if secretFields.contains(field) { return .secret }
        if cardFields.contains(field) { return .cardNumber }
        if bankAccountFields.contains(field) { return .bankAccount }
        if ssnFields.contains(field) || UTF8Search.contains("socialsecurity", in: field) { return .ssn }
        return .ordinary
    }

    /// Card data (PCI DSS): never kept in clear anywhere, not even in the rejects report.
    public var isCardData: Bool { self == .secret || self == .cardNumber }

    /// The value as every report except the rejects report shows it.
    public func masked(_ value: String) -> String {
        switch self {
        case .ordinary: return Masking.maskFreeText(value)
        case .secret: return value.isEmpty ? "" : "***"
        case .cardNumber: return Masking.maskCard(value)
        case .bankAccount: return Masking.maskLastFour(value)
        case .ssn: return Masking.maskSSN(value)
        }
    }

    /// The value as the rejects report shows it (nil: as read). The report mirrors the input
    /// so that it can be fixed and fed back, except card and bank data.
    public var rejectReportMask: (@Sendable (String) -> String)? {
        switch self {
        case .ordinary, .ssn: return nil
        case .secret: return { _ in "" }
        case .cardNumber: return { Masking.maskCard($0) }
        case .bankAccount: return { Masking.maskLastFour($0) }
        }
    }

    /// The sensitive mapped columns of a pipeline, by header position.
    public static func columns(of config: PipelineConfig, mapper: RowMapper) -> [Int: FieldSensitivity] {
        var columns: [Int: FieldSensitivity] = [:]
        for mapping in config.mapping {
            let sensitivity = FieldSensitivity.of(field: mapping.field)
            if sensitivity != .ordinary, let column = mapper.sourceColumn(of: mapping.field) { columns[column] = sensitivity }
        }
        return columns
    }
}
