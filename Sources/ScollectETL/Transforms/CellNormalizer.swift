/// A mapped field's normaliser as `RowMapper` calls it for every cell: the built-in ones are
/// called directly (inlined, no dispatch through the `Normalizer` protocol per cell); for any
/// other (`.other`) the caller goes through the protocol. Each case calls the same method the
/// protocol would, so a value normalises the same either way. Plain data (no reference, no
/// existential), so reading one from an array per cell costs no retain or outlined copy.
enum CellNormalizer: Sendable {
    case text
    case upper
    case money
    case ssn
    case phone
    case date(DateNormalizer)
    /// Not built in: call it through `Normalizer`.
    case other

    init(_ normalizer: any Normalizer) {
        switch normalizer {
        case is TextNormalizer: self = .text
        case is UpperNormalizer: self = .upper
        case is MoneyNormalizer: self = .money
        case is SSNNormalizer: self = .ssn
        case is PhoneNormalizer: self = .phone
        case let date as DateNormalizer: self = .date(date)
        default: self = .other
        }
    }

    var isDate: Bool {
        if case .date = self { return true }
        return false
    }

    /// Not for `.other` (the caller holds that normaliser).
    @inline(__always)
    func normalize(utf8 bytes: UnsafeBufferPointer<UInt8>) -> Normalized {
        switch self {
        case .text: return TextNormalizer().normalize(utf8: bytes)
        case .upper: return UpperNormalizer().normalize(utf8: bytes)
        case .money: return MoneyNormalizer().normalize(utf8: bytes)
        case .ssn: return SSNNormalizer().normalize(utf8: bytes)
        case .phone: return PhoneNormalizer().normalize(utf8: bytes)
        case let .date(date): return date.normalize(utf8: bytes)
        case .other: preconditionFailure("a normaliser that is not built in is called through Normalizer")
        }
    }
}
