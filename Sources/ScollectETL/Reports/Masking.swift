/// Masks what must never be written in clear. One place, used by every report and log line.
///
/// - apikey, pin, tokens, CVV (`threedigitnumber`): fully masked.
/// - card numbers: first 6 and last 4 digits only.
/// - SSNs: last 4 only (`***-**-6789`), wherever they appear in a value.
public enum Masking {
    static let secretKeys: Set<String> = ["apikey", "pin", "access_token", "token", "password", "threedigitnumber", "cvv", "authorization"]
    static let cardKeys: Set<String> = ["cardnumber"]
    /// Bank account numbers: last 4 only.
    static let lastFourKeys: Set<String> = ["checkaccountnumber", "checkaccountlast4"]
    static let ssnFieldNames: Set<String> = ["socialsecuritynumber", "jointsocial", "codebtor1socialsecurity", "codebtor2socialsecurity", "ssn"]

    /// A request body with its secrets masked. `updatedbase` carries the field name in
    /// `fieldname` and the value in `fieldvalue`, so the name decides how the value is masked.
    public static func mask(_ body: JSONValue) -> JSONValue {
        switch body {
        case let .object(pairs):
            let fieldName = body["fieldname"]?.stringValue?.lowercased()
            return .object(pairs.map { key, value in
                let lower = key.lowercased()
                if lower == "fieldvalue", let fieldName, case let .string(text) = value {
                    return (key, .string(maskValue(text, forField: fieldName)))
                }
                if case let .string(text) = value { return (key, .string(maskValue(text, forField: lower))) }
                if secretKeys.contains(lower) { return (key, .string("***")) }
                return (key, mask(value))
            })
        case let .array(items):
            return .array(items.map(mask))
        case let .string(text):
            return .string(maskSSNs(in: text))
        default:
            return body
        }
    }

    public static func maskValue(_ value: String, forField field: String) -> String {
        if secretKeys.contains(field) { return value.isEmpty ? "" : "***" }
        if cardKeys.contains(field) { return maskCard(value) }
        if lastFourKeys.contains(field) { return maskLastFour(value) }
        if ssnFieldNames.contains(field) || field.contains("socialsecurity") { return maskSSN(value) }
        return maskSSNs(in: value)
    }

    /// `4111111111111111` → `411111******1111`; too short to keep anything → all masked.
    public static func maskCard(_ value: String) -> String {
        let digits = value.filter(\.isNumber)
        guard digits.count >= 13 else { return digits.isEmpty ? value : String(repeating: "*", count: digits.count) }
        return String(digits.prefix(6)) + String(repeating: "*", count: digits.count - 10) + String(digits.suffix(4))
    }

    /// `9876543210` → `******3210`.
    public static func maskLastFour(_ value: String) -> String {
        guard value.count > 4 else { return value }
        return String(repeating: "*", count: value.count - 4) + String(value.suffix(4))
    }

    /// Any SSN-shaped value → `***-**-` + last 4.
    public static func maskSSN(_ value: String) -> String {
        let digits = value.filter(\.isNumber)
        guard !digits.isEmpty else { return value }
        return "***-**-" + String(digits.suffix(4))
    }

    /// Card numbers (13–19 digit runs) in free text, first 6 / last 4; SSNs are left as they are
    /// (for the rejects report, which mirrors the input).
    public static func maskCardNumbers(in text: String) -> String {
        guard text.utf8.count >= 13 else { return text }
        var out = ""
        var digits = ""
        func flush() {
            out += (13...19).contains(digits.count) ? maskCard(digits) : digits
            digits = ""
        }
        for character in text {
            if character.isASCII && character.isNumber { digits.append(character) } else {
                flush()
                out.append(character)
            }
        }
        flush()
        return out
    }

    /// How the rejects report shows a column mapped to a card or bank field (nil: as read).
    public static func rejectColumnMask(forField field: String) -> (@Sendable (String) -> String)? {
        if secretKeys.contains(field) { return { _ in "" } }
        if cardKeys.contains(field) { return { maskCard($0) } }
        if lastFourKeys.contains(field) { return { maskLastFour($0) } }
        return nil
    }

    /// Masks every `ddd-dd-dddd` (and 9-digit run) inside free text, e.g. an error message that
    /// echoes the SSN it could not find, and every 13–19 digit run (a card number) to first 6 / last 4.
    public static func maskSSNs(in text: String) -> String {
        let bytes = Array(text.utf8)
        guard bytes.count >= 9 else { return text }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        func isDigit(_ j: Int) -> Bool { j >= 0 && j < bytes.count && bytes[j] >= 48 && bytes[j] <= 57 }
        while i < bytes.count {
            if isDigit(i), !isDigit(i - 1) {
                // ddd-dd-dddd
                if i + 11 <= bytes.count, isDigit(i), isDigit(i + 1), isDigit(i + 2), bytes[i + 3] == 45,
                   isDigit(i + 4), isDigit(i + 5), bytes[i + 6] == 45, (7..<11).allSatisfy({ isDigit(i + $0) }), !isDigit(i + 11) {
                    out.append(contentsOf: Array("***-**-".utf8))
                    out.append(contentsOf: bytes[(i + 7)..<(i + 11)])
                    i += 11
                    continue
                }
                // exactly nine digits in a row
                var j = i
                while isDigit(j) { j += 1 }
                // 13 to 19 digits: a card number in free text keeps its first 6 and last 4
                if (13...19).contains(j - i) {
                    out.append(contentsOf: bytes[i..<(i + 6)])
                    out.append(contentsOf: Array(repeating: UInt8(ascii: "*"), count: j - i - 10))
                    out.append(contentsOf: bytes[(j - 4)..<j])
                    i = j
                    continue
                }
                if j - i == 9 {
                    out.append(contentsOf: Array("*****".utf8))
                    out.append(contentsOf: bytes[(i + 5)..<j])
                    i = j
                    continue
                }
                out.append(contentsOf: bytes[i..<j])
                i = j
                continue
            }
            out.append(bytes[i])
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }
}
