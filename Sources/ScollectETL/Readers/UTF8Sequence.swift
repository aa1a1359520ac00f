/// The shape RFC 3629 allows for a UTF-8 sequence that starts with `lead`: its length, and the
/// range its second byte must fall in (which rules out overlong forms, surrogates and code
/// points above U+10FFFF). A length of 0: the byte cannot start a sequence. Every reader that
/// checks UTF-8 byte by byte (CSV, JSON, XML, encoding detection) asks this one table.
@inline(__always)
func utf8SequenceShape(lead: UInt8) -> (length: Int, low: UInt8, high: UInt8) {
    switch lead {
    case 0xC2...0xDF: return (2, 0x80, 0xBF)
    case 0xE0: return (3, 0xA0, 0xBF)
    case 0xE1...0xEC, 0xEE...0xEF: return (3, 0x80, 0xBF)
    case 0xED: return (3, 0x80, 0x9F)
    case 0xF0: return (4, 0x90, 0xBF)
    case 0xF1...0xF3: return (4, 0x80, 0xBF)
    case 0xF4: return (4, 0x80, 0x8F)
    default: return (0, 0x80, 0xBF)
    }
}

/// Index of the first byte of the first invalid UTF-8 sequence in `p[from..<to]`, or nil.
/// ASCII runs are skipped eight bytes at a time. The CSV reader's window and the JSON
/// parser's unread strings both ask this one.
func firstInvalidUTF8(_ p: UnsafePointer<UInt8>, from: Int, to: Int) -> Int? {
    let raw = UnsafeRawPointer(p)
    var i = from
    while true {
        while i &+ 8 <= to && raw.loadUnaligned(fromByteOffset: i, as: UInt64.self) & 0x8080_8080_8080_8080 == 0 {
            i &+= 8
        }
        while i < to && p[i] < 0x80 { i &+= 1 }
        if i >= to { return nil }
        // A multi-byte sequence at i (RFC 3629: no overlongs, surrogates or > U+10FFFF).
        let lead = p[i]
        let (length, low, high) = utf8SequenceShape(lead: lead)
        if length == 0 { return i }
        if i &+ length > to { return i }
        let second = p[i &+ 1]
        if second < low || second > high { return i }
        var k = 2
        while k < length {
            if p[i &+ k] & 0xC0 != 0x80 { return i }
            k &+= 1
        }
        i &+= length
    }
}
