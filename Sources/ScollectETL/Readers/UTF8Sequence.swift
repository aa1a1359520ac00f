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
