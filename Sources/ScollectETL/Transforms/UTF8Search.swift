/// Substring search on UTF-8 bytes. `String.contains(_:)` and `range(of:)` with Foundation
/// imported go through `NSString` (about 5,000 instructions a call): too slow for what runs per
/// API call or per cell (`valgrind --tool=callgrind`, Benchmarks/README.md). Byte-exact: no case
/// folding, no Unicode equivalence, which is what these call sites want (ASCII needles).
enum UTF8Search {
    /// The byte offset of the first `needle` in `haystack`, or nil.
    static func firstOffset(of needle: String, in haystack: String) -> Int? {
        var haystack = haystack
        var needle = needle
        return haystack.withUTF8 { h in
            needle.withUTF8 { n in
                guard !n.isEmpty else { return 0 }
                guard h.count >= n.count else { return nil }
                let first = n[0]
                var k = 0
                while k <= h.count - n.count {
                    if h[k] == first {
                        var j = 1
                        while j < n.count && h[k + j] == n[j] { j += 1 }
                        if j == n.count { return k }
                    }
                    k += 1
                }
                return nil
            }
        }
    }

    static func contains(_ needle: String, in haystack: String) -> Bool {
        firstOffset(of: needle, in: haystack) != nil
    }
}
