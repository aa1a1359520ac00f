/// Finds card numbers in free text (a server's error message, the raw text of a row that
/// could not be parsed) and masks them to first 6 / last 4, whatever their spacing:
///
/// - an unbroken run of 13–19 digits is masked, Luhn or not (as before: a mistyped number is
///   still card data);
/// - digits in groups separated by spaces or dashes (`5123 7782 6024 1684`,
///   `5123-7782-6024-1684`) are masked when 13–19 consecutive digits of whole groups pass the
///   Luhn check. The longest such window wins, so a 19-digit number is not cut at 16.
///
/// Separators inside a masked number are kept (`5123 77** **** 1684`).
public enum CardNumberScanner {
    /// At most this many spaces or dashes between two groups of one number.
    static let maxSeparator = 2

    public static func mask(_ text: String) -> String {
        let bytes = Array(text.utf8)
        guard bytes.count >= 13 else { return text }
        var out = bytes
        var changed = false
        var i = 0
        while i < bytes.count {
            guard isDigit(bytes[i]) else { i += 1; continue }
            let groups = chain(in: bytes, from: i)
            if maskChain(groups, in: &out) { changed = true }
            i = groups.last!.upperBound
        }
        return changed ? String(decoding: out, as: UTF8.self) : text
    }

    @inline(__always) static func isDigit(_ byte: UInt8) -> Bool { byte >= 48 && byte <= 57 }
    @inline(__always) static func isSeparator(_ byte: UInt8) -> Bool { byte == 32 || byte == 45 }

    /// The digit groups from `start`, joined by short runs of spaces or dashes.
    static func chain(in bytes: [UInt8], from start: Int) -> [Range<Int>] {
        var groups: [Range<Int>] = []
        var position = start
        while true {
            var end = position
            while end < bytes.count, isDigit(bytes[end]) { end += 1 }
            groups.append(position..<end)
            var next = end
            while next < bytes.count, next - end < maxSeparator, isSeparator(bytes[next]) { next += 1 }
            guard next > end, next < bytes.count, isDigit(bytes[next]) else { return groups }
            position = next
        }
    }

    /// Masks the card numbers of one chain of groups; true when it masked any.
    static func maskChain(_ groups: [Range<Int>], in out: inout [UInt8]) -> Bool {
        var masked = false
        var first = 0
        while first < groups.count {
            var best: Int?
            var total = 0
            var digits: [UInt8] = []
            for last in first..<groups.count {
                total += groups[last].count
                if total > 19 { break }
                digits.append(contentsOf: out[groups[last]])
                let unbroken = first == last
                if total >= 13, unbroken || passesLuhn(digits) { best = last }
            }
            guard let last = best else { first += 1; continue }
            maskDigits(groups[first...last], in: &out)
            masked = true
            first = last + 1
        }
        return masked
    }

    /// Keeps the first 6 and last 4 digits of the groups, stars the others, keeps separators.
    static func maskDigits(_ groups: ArraySlice<Range<Int>>, in out: inout [UInt8]) {
        let count = groups.reduce(0) { $0 + $1.count }
        var seen = 0
        for group in groups {
            for index in group {
                if seen >= 6 && seen < count - 4 { out[index] = UInt8(ascii: "*") }
                seen += 1
            }
        }
    }

    /// The Luhn (mod 10) check over ASCII digits.
    public static func passesLuhn<Digits: Collection>(_ digits: Digits) -> Bool where Digits.Element == UInt8 {
        var sum = 0
        for (offset, byte) in digits.reversed().enumerated() {
            var digit = Int(byte) - 48
            if offset % 2 == 1 {
                digit *= 2
                if digit > 9 { digit -= 9 }
            }
            sum += digit
        }
        return !digits.isEmpty && sum % 10 == 0
    }
}
