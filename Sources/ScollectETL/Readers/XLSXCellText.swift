#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A growable byte buffer the XLSX reader writes cell text into, so a row costs no String.
final class XLSXByteBuffer {
    private(set) var base: UnsafeMutablePointer<UInt8>
    var count = 0
    private(set) var capacity: Int

    init(capacity: Int = 4096) {
        self.capacity = max(capacity, 16)
        base = .allocate(capacity: self.capacity)
    }

    deinit { base.deallocate() }

    @inline(__always) func reserve(_ extra: Int) {
        if count &+ extra > capacity { grow(count + extra) }
    }

    private func grow(_ needed: Int) {
        var newCapacity = capacity * 2
        while newCapacity < needed { newCapacity *= 2 }
        let newBase = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        newBase.update(from: base, count: count)
        base.deallocate()
        base = newBase
        capacity = newCapacity
    }

    @inline(__always) func append(_ bytes: UnsafePointer<UInt8>, _ n: Int) {
        reserve(n)
        (base + count).update(from: bytes, count: n)
        count &+= n
    }

    @inline(__always) func append(_ byte: UInt8) {
        reserve(1)
        base[count] = byte
        count &+= 1
    }

    func append(_ text: StaticString) {
        append(text.utf8Start, text.utf8CodeUnitCount)
    }

    /// Two decimal digits.
    @inline(__always) func append2(_ value: Int) {
        reserve(2)
        base[count] = UInt8(truncatingIfNeeded: 48 + value / 10)
        base[count &+ 1] = UInt8(truncatingIfNeeded: 48 + value % 10)
        count &+= 2
    }

    func appendDecimal(_ value: Int) {
        if value < 0 { append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        var reversed: [UInt8] = []
        repeat {
            reversed.append(UInt8(truncatingIfNeeded: 48 + magnitude % 10))
            magnitude /= 10
        } while magnitude > 0
        for digit in reversed.reversed() { append(digit) }
    }
}

/// How cell values become text: numbers at Excel's 15-digit display precision, date serials
/// as ISO dates, and OOXML's `_xHHHH_` character escapes decoded.
enum XLSXCellText {
    /// Appends a number cell's stored text (`<v>`) as Excel would show it in General format:
    /// at most 15 significant digits, no trailing zeros, no exponent between 1e-20 and 1e20.
    /// Text that is not a number is appended as found.
    static func appendNumber(_ text: UnsafePointer<UInt8>, _ length: Int, to out: XLSXByteBuffer) {
        var i = 0, end = length
        while i < end && isBlank(text[i]) { i &+= 1 }
        while end > i && isBlank(text[end &- 1]) { end &-= 1 }
        // Fast path: a plain decimal literal with at most 15 significant digits is already
        // what Excel shows; only leading and trailing zeros go.
        var k = i
        var negative = false
        if k < end && (text[k] == minus || text[k] == plus) { negative = text[k] == minus; k &+= 1 }
        let intStart = k
        while k < end && isDigit(text[k]) { k &+= 1 }
        let intEnd = k
        var fracStart = k, fracEnd = k
        if k < end && text[k] == dot {
            k &+= 1
            fracStart = k
            while k < end && isDigit(text[k]) { k &+= 1 }
            fracEnd = k
        }
        if k == end && (intEnd > intStart || fracEnd > fracStart) {
            var a = intStart
            while a < intEnd && text[a] == zero { a &+= 1 }
            var b = fracEnd
            while b > fracStart && text[b &- 1] == zero { b &-= 1 }
            var significant: Int
            if a < intEnd {
                significant = (intEnd &- a) &+ (b &- fracStart)
            } else {
                var c = fracStart
                while c < b && text[c] == zero { c &+= 1 }
                significant = b &- c
            }
            if significant <= 15 {
                if a == intEnd && b == fracStart { out.append(zero); return }
                out.reserve(intEnd &- a &+ b &- fracStart &+ 3)
                if negative { out.append(minus) }
                if a == intEnd { out.append(zero) } else { out.append(text + a, intEnd &- a) }
                if b > fracStart {
                    out.append(dot)
                    out.append(text + fracStart, b &- fracStart)
                }
                return
            }
        }
        guard let value = parseDouble(text + i, end &- i), value.isFinite else {
            out.append(text, length)
            return
        }
        appendDouble(value, to: out)
    }

    /// `value` to 15 significant digits, trailing zeros dropped; positional notation between
    /// 1e-20 and 1e20, otherwise `1.5E+25` as Excel writes it.
    static func appendDouble(_ value: Double, to out: XLSXByteBuffer) {
        if value == 0 { out.append(zero); return }
        // "%.14e": d.dddddddddddddde±XX, rounded by the C library (correctly, on glibc).
        var scratch: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        withUnsafeMutableBytes(of: &scratch) { raw in
            let buffer = raw.baseAddress!.assumingMemoryBound(to: CChar.self)
            let length = Int(withVaList([value]) { vsnprintf(buffer, raw.count, "%.14e", $0) })
            let s = raw.baseAddress!.assumingMemoryBound(to: UInt8.self)
            var p = 0
            let negative = s[0] == minus
            if negative { p = 1 }
            var digits: [UInt8] = [s[p]]
            p += 2 // the digit and the point
            while p < length && isDigit(s[p]) { digits.append(s[p]); p += 1 }
            p += 1 // "e"
            let exponentNegative = s[p] == minus
            p += 1
            var exponent = 0
            while p < length { exponent = exponent * 10 + Int(s[p] - zero); p += 1 }
            if exponentNegative { exponent = -exponent }
            while digits.count > 1 && digits.last == zero { digits.removeLast() }
            if negative { out.append(minus) }
            if exponent > 20 || exponent < -20 {
                out.append(digits[0])
                if digits.count > 1 {
                    out.append(dot)
                    for d in digits[1...] { out.append(d) }
                }
                out.append(UInt8(ascii: "E"))
                out.append(exponent < 0 ? minus : plus)
                if abs(exponent) < 100 { out.append2(abs(exponent)) } else { out.appendDecimal(abs(exponent)) }
            } else if exponent >= 0 {
                for (index, d) in digits.enumerated() {
                    if index == exponent + 1 { out.append(dot) }
                    out.append(d)
                }
                if digits.count <= exponent {
                    for _ in digits.count...exponent { out.append(zero) }
                }
            } else {
                out.append(zero)
                out.append(dot)
                for _ in 0..<(-exponent - 1) { out.append(zero) }
                for d in digits { out.append(d) }
            }
        }
    }

    /// Appends a date serial as `yyyy-mm-dd` (`kind` .date), `yyyy-mm-ddTHH:MM:SS` (.dateTime
    /// with a time of day; midnight gives the date alone), `HH:MM:SS` (.time under a day; from
    /// one day on, the date and time as .dateTime) or `[h]:mm:ss` (.duration, negative too:
    /// `255:10:10`, `-12:00:00`). Serials outside Excel's dates (negative, past 9999-12-31)
    /// are appended as numbers.
    ///
    /// 1900 system: serial 1 is 1900-01-01 and serial 60 is Excel's 1900-02-29, a day that
    /// never was (Lotus 1-2-3's leap-year bug); later serials count from 1899-12-30.
    /// 1904 system: serial 0 is 1904-01-01.
    static func appendDate(_ text: UnsafePointer<UInt8>, _ length: Int, kind: XLSXDateKind, date1904: Bool,
                           to out: XLSXByteBuffer) {
        if kind == .duration, let value = parseDouble(text, length), value.isFinite, abs(value) < 2_958_466 {
            appendDuration(value, to: out)
            return
        }
        guard let value = parseDouble(text, length), value.isFinite, value >= 0, value < 2_958_466 else {
            appendNumber(text, length, to: out)
            return
        }
        let seconds = Int((value * 86400).rounded())
        let days = seconds / 86400
        let secondOfDay = seconds % 86400
        if kind == .time && value < 1 {
            appendTime(secondOfDay, to: out)
            return
        }
        let (y, m, d): (Int, Int, Int)
        if date1904 {
            (y, m, d) = DateNormalizer.civil(fromDays: days + days1904Epoch)
        } else if days == 60 {
            (y, m, d) = (1900, 2, 29)
        } else if days < 60 {
            (y, m, d) = DateNormalizer.civil(fromDays: days + days1900Epoch + 1)
        } else {
            (y, m, d) = DateNormalizer.civil(fromDays: days + days1900Epoch)
        }
        out.reserve(19)
        out.append2(y / 100)
        out.append2(y % 100)
        out.append(minus)
        out.append2(m)
        out.append(minus)
        out.append2(d)
        if (kind == .dateTime || kind == .time) && secondOfDay != 0 {
            out.append(UInt8(ascii: "T"))
            appendTime(secondOfDay, to: out)
        }
    }

    /// Days as elapsed time: hours (at least two digits, past 24), minutes, seconds.
    private static func appendDuration(_ days: Double, to out: XLSXByteBuffer) {
        let seconds = Int((days * 86400).rounded())
        if seconds < 0 { out.append(minus) }
        let magnitude = abs(seconds)
        let hours = magnitude / 3600
        if hours < 100 { out.append2(hours) } else { out.appendDecimal(hours) }
        out.append(colon)
        out.append2(magnitude / 60 % 60)
        out.append(colon)
        out.append2(magnitude % 60)
    }

    private static func appendTime(_ secondOfDay: Int, to out: XLSXByteBuffer) {
        out.append2(secondOfDay / 3600)
        out.append(colon)
        out.append2(secondOfDay / 60 % 60)
        out.append(colon)
        out.append2(secondOfDay % 60)
    }

    /// Days from 1970-01-01 to Excel's day 0 of each system.
    static let days1900Epoch = -25569 // 1899-12-30
    static let days1904Epoch = -24107 // 1904-01-01

    /// A number from cell text: plain integers directly, anything else through `strtod`.
    static func parseDouble(_ text: UnsafePointer<UInt8>, _ length: Int) -> Double? {
        guard length > 0 else { return nil }
        if length <= 15 {
            var k = 0
            var integer = 0
            while k < length && isDigit(text[k]) { integer = integer &* 10 &+ Int(text[k] &- zero); k &+= 1 }
            if k == length { return Double(integer) }
        }
        guard length < 256 else { return nil }
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: length + 1) { buffer -> Double? in
            let p = buffer.baseAddress!
            UnsafeMutableRawPointer(p).copyMemory(from: text, byteCount: length)
            p[length] = 0
            var endPointer: UnsafeMutablePointer<CChar>?
            let value = strtod(p, &endPointer)
            guard let endPointer else { return nil }
            var consumed = endPointer - p
            while consumed < length && isBlank(UInt8(bitPattern: p[consumed])) { consumed += 1 }
            return consumed == length && endPointer != p ? value : nil
        }
    }

    /// Decodes OOXML's `_xHHHH_` escapes (a UTF-16 code unit each; `_x005F_` is an underscore)
    /// in `out[start...]`, in place.
    static func decodeEscapes(in out: XLSXByteBuffer, from start: Int) {
        let p = out.base
        let end = out.count
        var k = start
        // Nothing to do without "_x" (the usual case).
        while k + 6 < end && !(p[k] == underscore && p[k + 1] == UInt8(ascii: "x")) { k += 1 }
        guard k + 6 < end else { return }
        var read = k, write = k
        var pendingHigh: UInt32 = 0
        while read < end {
            if read + 6 < end && p[read] == underscore && p[read + 1] == UInt8(ascii: "x") && p[read + 6] == underscore,
               let unit = hex4(p + read + 2) {
                read += 7
                if unit >= 0xD800 && unit < 0xDC00 {
                    pendingHigh = unit
                    continue
                }
                var scalar = unit
                if unit >= 0xDC00 && unit < 0xE000 && pendingHigh != 0 {
                    scalar = 0x10000 + ((pendingHigh - 0xD800) << 10) + (unit - 0xDC00)
                }
                pendingHigh = 0
                let value = Unicode.Scalar(scalar) ?? "\u{FFFD}"
                for byte in UTF8.encode(value)! {
                    p[write] = byte
                    write += 1
                }
                continue
            }
            pendingHigh = 0
            p[write] = p[read]
            write += 1
            read += 1
        }
        out.count = write
    }

    private static func hex4(_ p: UnsafePointer<UInt8>) -> UInt32? {
        var value: UInt32 = 0
        for k in 0..<4 {
            let c = p[k]
            let digit: UInt32
            switch c {
            case 48...57: digit = UInt32(c - 48)
            case 65...70: digit = UInt32(c - 55)
            case 97...102: digit = UInt32(c - 87)
            default: return nil
            }
            value = value << 4 | digit
        }
        return value
    }

    @inline(__always) static func isDigit(_ c: UInt8) -> Bool { c &- zero < 10 }
    @inline(__always) static func isBlank(_ c: UInt8) -> Bool { c == 32 || c == 9 || c == 10 || c == 13 }
}

private let zero = UInt8(ascii: "0")
private let minus = UInt8(ascii: "-")
private let plus = UInt8(ascii: "+")
private let dot = UInt8(ascii: ".")
private let colon = UInt8(ascii: ":")
private let underscore = UInt8(ascii: "_")
