/// Codes such as US state abbreviations: trims Unicode whitespace (like `TextNormalizer`) and
/// upper-cases. Whitespace-only values are `.blank`.
public struct UpperNormalizer: Normalizer {
    public static let name = "upper"

    public init() {}

    public func normalize(_ raw: String) -> Normalized {
        let result: String?? = TextNormalizer.withBytes(raw) { p -> String?? in
            let (s, e) = TextNormalizer.trimmed(p)
            if s == e { return .some(nil) }
            var ascii = true
            var lower = false
            for i in s..<e {
                let b = p[i]
                if b >= 0x80 { ascii = false; break }
                if b &- 0x61 < 26 { lower = true }
            }
            guard ascii else { return nil } // non-ASCII: let the standard library do it
            if !lower && s == 0 && e == p.count { return .some(.some(raw)) }
            return .some(.some(TextNormalizer.makeASCII(count: e - s) { out in
                for i in s..<e {
                    let b = p[i]
                    out[i - s] = b &- 0x61 < 26 ? b - 0x20 : b
                }
            }))
        }
        switch result {
        case .some(.none): return .blank
        case .some(.some(let value)): return .value(value)
        case .none:
            guard case .value(let trimmed, _) = TextNormalizer().normalize(raw) else { return .blank }
            return .value(trimmed.uppercased())
        }
    }

    /// The same on bytes, without making a String of the raw value first (ASCII, the usual
    /// case); anything else goes the String way.
    public func normalize(utf8 p: UnsafeBufferPointer<UInt8>) -> Normalized {
        let (s, e) = TextNormalizer.trimmed(p)
        if s == e { return .blank }
        for i in s..<e where p[i] >= 0x80 { return normalize(String(decoding: p, as: UTF8.self)) }
        return .value(TextNormalizer.makeASCII(count: e - s) { out in
            for i in s..<e {
                let b = p[i]
                out[i - s] = b &- 0x61 < 26 ? b - 0x20 : b
            }
        })
    }
}

extension UpperNormalizer: NormalizerComponent {
    public static let spec = ComponentSpec(.normalizer, name,
        summary: "Trimmed and upper-cased, for codes such as US state abbreviations.",
        example: "normalize:\n  state: upper")
    public static func make(_ options: ConfigSection) -> UpperNormalizer { UpperNormalizer() }
}
