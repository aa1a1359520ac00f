/// The shared string table (`xl/sharedStrings.xml`), held in memory as one UTF-8 buffer plus
/// end offsets: a million strings cost their bytes and 4 MB, not a million Strings.
///
/// A rich-text string is its runs' text concatenated; phonetic guides (`rPh`) are left out;
/// `_xHHHH_` escapes are decoded.
final class XLSXSharedStrings {
    private let buffer = XLSXByteBuffer(capacity: 64 * 1024)
    private var ends: [UInt32] = []

    var count: Int { ends.count }

    init() {}

    init(part: XLSXPartReader) throws {
        let sst = part.intern("sst")
        let si = part.intern("si")
        let t = part.intern("t")
        let rPh = part.intern("rPh")
        var inItem = false, inText = false, inPhonetic = false
        var itemStart = 0
        while try part.read() {
            let type = part.nodeType
            if type == XMLNodeType.element {
                let name = part.localName
                let empty = part.isEmptyElement
                if name == si {
                    if empty { ends.append(UInt32(buffer.count)) } else { inItem = true; itemStart = buffer.count }
                } else if name == t {
                    inText = inItem && !inPhonetic && !empty
                } else if name == rPh {
                    inPhonetic = !empty
                } else if name == sst {
                    let declared = part.attributes()["uniqueCount"].flatMap { Int($0) } ?? 0
                    ends.reserveCapacity(min(max(declared, 0), 1 << 22))
                }
            } else if type == XMLNodeType.endElement {
                let name = part.localName
                if name == t {
                    inText = false
                } else if name == rPh {
                    inPhonetic = false
                } else if name == si {
                    XLSXCellText.decodeEscapes(in: buffer, from: itemStart)
                    guard buffer.count <= Int(UInt32.max) else {
                        throw part.archive.fail("\(part.partName) holds more than 4 GB of text; refused")
                    }
                    ends.append(UInt32(buffer.count))
                    inItem = false
                }
            } else if inText && XMLNodeType.carriesText(type), let text = part.value {
                buffer.append(text, XLSXPartReader.length(text))
            }
        }
    }

    /// String `index`'s bytes, or nil when there is no such string.
    @inline(__always)
    func string(at index: Int) -> UnsafeBufferPointer<UInt8>? {
        guard index >= 0 && index < ends.count else { return nil }
        let start = index == 0 ? 0 : Int(ends[index &- 1])
        return UnsafeBufferPointer(start: buffer.base + start, count: Int(ends[index]) &- start)
    }
}
