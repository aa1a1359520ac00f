/// Masks what must never be written in clear. One place, used by every report and log line.
///
/// - apikey, pin, tokens, CVV (`threedigitnumber`): fully masked.
/// - card numbers: first 6 and last 4 digits only.
/// - SSNs: last 4 only (`***-**-6789`), wherever they appear in a value.
public enum Masking {
    static let secretKeys = FieldSensitivity.secretFields

    /// A request body with its secrets masked. `updatedbase` carries the field name in
    /// `fieldname` and the value in `fieldvalue`, so the name decides how the value is masked.
    public static func mask(_ body: JSONValue) -> JSONValue {
        switch body {
        case let .object(pairs):
            let fieldName = body["fieldname"]?.stringValue?.lowercasedIfNeeded()
            return .object(pairs.map { key, value in
                let lower = key.lowercasedIfNeeded()
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

    /// A value as reports and logs show it, by its field's classification (`FieldSensitivity`);
    /// an ordinary field's value is free text: card numbers and SSNs inside it are masked.
    public static func maskValue(_ value: String, forField field: String) -> String {
        FieldSensitivity.of(field: field).masked(value)
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

    /// Card numbers in free text, first 6 / last 4, however they are spaced (`CardNumberScanner`);
    /// SSNs are left as they are (for the rejects report, which mirrors the input).
    public static func maskCardNumbers(in text: String) -> String {
        CardNumberScanner.mask(text)
    }

    /// Free text for any report or log but the rejects report (a server's message, a note):
    /// card numbers, however spaced, to first 6 / last 4, SSNs to last 4.
    public static func maskFreeText(_ text: String) -> String {
        maskSSNs(in: text)
    }

    /// How the rejects report shows a column mapped to a card or bank field (nil: as read).
    public static func rejectColumnMask(forField field: String) -> (@Sendable (String) -> String)? {
        FieldSensitivity.of(field: field).rejectReportMask
    }

    /// Masks every SSN inside free text to its last 4 — `ddd-dd-dddd`, `ddd dd dddd` and a
    /// 9-digit run — e.g. an error message that echoes the SSN it could not find, and every
    /// card number, however spaced (`CardNumberScanner`), to first 6 / last 4.
    public static func maskSSNs(in text: String) -> String {
        // Every SSN and card number has at least 9 ASCII digits: most texts (a city, a name, a
        // date) have fewer and are returned as they are, without a copy (an audit line per call).
        var digits = 0
        for byte in text.utf8 where byte >= 48 && byte <= 57 { digits += 1 }
        guard digits >= 9 else { return text }
        let bytes = Array(CardNumberScanner.mask(text).utf8)
        guard bytes.count >= 9 else { return String(decoding: bytes, as: UTF8.self) }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        func isDigit(_ j: Int) -> Bool { j >= 0 && j < bytes.count && bytes[j] >= 48 && bytes[j] <= 57 }
        func isSeparator(_ j: Int, like first: UInt8? = nil) -> Bool {
            j < bytes.count && (bytes[j] == 45 || bytes[j] == 32) && (first == nil || bytes[j] == first)
        }
        while i < bytes.count {
            if isDigit(i), !isDigit(i - 1) {
                // ddd-dd-dddd or ddd dd dddd
                if i + 11 <= bytes.count, isDigit(i), isDigit(i + 1), isDigit(i + 2), isSeparator(i + 3),
                   isDigit(i + 4), isDigit(i + 5), isSeparator(i + 6, like: bytes[i + 3]), (7..<11).allSatisfy({ isDigit(i + $0) }), !isDigit(i + 11) {
                    out.append(contentsOf: Array("***-**-".utf8))
                    out.append(contentsOf: bytes[(i + 7)..<(i + 11)])
                    i += 11
                    continue
                }
                // exactly nine digits in a row
                var j = i
                while isDigit(j) { j += 1 }
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
