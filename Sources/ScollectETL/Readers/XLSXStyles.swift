/// What a number format makes of a number: nothing (a plain number), or a date, a date and
/// time, a time of day, or an elapsed time (a duration: `[h]:mm:ss`).
enum XLSXDateKind: UInt8, Sendable {
    case none, date, dateTime, time, duration
}

/// The cell formats of `xl/styles.xml`, reduced to what the reader needs: for each `cellXfs`
/// entry (a cell's `s` attribute), whether its number format shows a date or time.
struct XLSXStyles {
    /// By cell format index.
    private(set) var kinds: [XLSXDateKind] = []

    init() {}

    init(part: XLSXPartReader) throws {
        let numFmt = part.intern("numFmt")
        let cellXfs = part.intern("cellXfs")
        let xf = part.intern("xf")
        var custom: [Int: String] = [:]
        var formatIds: [Int] = []
        var inCellXfs = false
        while try part.read() {
            let type = part.nodeType
            guard let name = part.localName else { continue }
            if type == XMLNodeType.element {
                if name == numFmt {
                    let attributes = part.attributes()
                    if let id = attributes["numFmtId"].flatMap({ Int($0) }), let code = attributes["formatCode"] {
                        custom[id] = code
                    }
                } else if name == cellXfs {
                    inCellXfs = !part.isEmptyElement
                } else if name == xf && inCellXfs {
                    formatIds.append(part.attributes()["numFmtId"].flatMap { Int($0) } ?? 0)
                }
            } else if type == XMLNodeType.endElement && name == cellXfs {
                inCellXfs = false
            }
        }
        kinds = formatIds.map { XLSXStyles.dateKind(numFmtId: $0, custom: custom) }
    }

    @inline(__always)
    func kind(ofStyle index: Int) -> XLSXDateKind {
        index >= 0 && index < kinds.count ? kinds[index] : .none
    }

    /// A format id's kind: a custom format by its code, else Excel's built-in date and time
    /// formats (14–17 dates, 18–21 times, 22 date and time, 45 and 47 minutes and seconds,
    /// 46 elapsed time `[h]:mm:ss`).
    static func dateKind(numFmtId id: Int, custom: [Int: String]) -> XLSXDateKind {
        if let code = custom[id] { return dateKind(formatCode: code) }
        switch id {
        case 14...17: return .date
        case 18...21, 45, 47: return .time
        case 46: return .duration
        case 22: return .dateTime
        default: return .none
        }
    }

    /// A custom format code's kind, from its first section: `d`/`y` make a date, `h`/`s` a
    /// time, an elapsed `[h]`, `[mm]`, `[ss]` without `d`/`y` a duration, `m` alone a date
    /// (months); letters inside quotes, brackets, after `\`, `_` or `*`, and in `AM/PM` or
    /// `A/P`, do not count.
    static func dateKind(formatCode code: String) -> XLSXDateKind {
        let c = Array(code.utf8)
        var hasDate = false, hasTime = false, hasMonthOrMinute = false, hasElapsed = false
        var i = 0
        scan: while i < c.count {
            let ch = c[i]
            switch ch {
            case UInt8(ascii: "\""):
                i += 1
                while i < c.count && c[i] != UInt8(ascii: "\"") { i += 1 }
                i += 1
            case UInt8(ascii: "\\"), UInt8(ascii: "_"), UInt8(ascii: "*"):
                i += 2
            case UInt8(ascii: "["):
                var j = i + 1
                while j < c.count && c[j] != UInt8(ascii: "]") { j += 1 }
                let inside = c[(i + 1)..<min(j, c.count)].map { $0 | 0x20 }
                if !inside.isEmpty, let first = inside.first, [UInt8(ascii: "h"), UInt8(ascii: "m"), UInt8(ascii: "s")].contains(first),
                   inside.allSatisfy({ $0 == first }) {
                    hasTime = true
                    hasElapsed = true
                }
                i = j + 1
            case UInt8(ascii: ";"):
                break scan
            default:
                if matches(c, i, "am/pm") { i += 5; continue }
                if matches(c, i, "a/p") { i += 3; continue }
                switch ch | 0x20 {
                case UInt8(ascii: "d"), UInt8(ascii: "y"): hasDate = true
                case UInt8(ascii: "h"), UInt8(ascii: "s"): hasTime = true
                case UInt8(ascii: "m"): hasMonthOrMinute = true
                default: break
                }
                i += 1
            }
        }
        if hasElapsed && !hasDate { return .duration }
        if hasDate && hasTime { return .dateTime }
        if hasDate { return .date }
        if hasTime { return .time }
        if hasMonthOrMinute { return .date }
        return .none
    }

    private static func matches(_ c: [UInt8], _ i: Int, _ word: StaticString) -> Bool {
        let count = word.utf8CodeUnitCount
        guard i + count <= c.count else { return false }
        for k in 0..<count where c[i + k] | 0x20 != word.utf8Start[k] { return false }
        return true
    }
}
