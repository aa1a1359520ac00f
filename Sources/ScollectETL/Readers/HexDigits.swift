/// Hexadecimal digits, for the JSON parsers' `\uXXXX` escapes and the journal key's hex text.
enum HexDigits {
    /// The value of one hex digit (either case), or nil.
    @inline(__always)
    static func value(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: return byte &- 0x30
        case 0x61...0x66: return byte &- 0x61 &+ 10
        case 0x41...0x46: return byte &- 0x41 &+ 10
        default: return nil
        }
    }

    /// The four hex digits at `bytes` (the caller checked there are four), or nil.
    @inline(__always)
    static func value4(_ bytes: UnsafePointer<UInt8>) -> UInt32? {
        var value: UInt32 = 0
        for k in 0..<4 {
            guard let digit = HexDigits.value(bytes[k]) else { return nil }
            value = value << 4 | UInt32(digit)
        }
        return value
    }
}
