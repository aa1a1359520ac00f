import CLibXML2
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// libxml2's streaming `xmlTextReader` over one zip entry of a workbook: the parser pulls
/// inflated bytes through a read callback, so no part is ever held whole.
///
/// Safe options only: `XML_PARSE_NONET` (no network), and never `NOENT`, `DTDLOAD` or `HUGE`
/// (no entity expansion, no external DTD, libxml2's default size limits stay on).
final class XLSXPartReader {
    let reader: xmlTextReaderPtr
    let stream: ZipEntryStream
    var partName: String { stream.entry.name }
    /// The first parse error libxml2 reported, as "line N: message".
    fileprivate var parseError: String?

    static let options = Int32(XML_PARSE_NONET.rawValue | XML_PARSE_COMPACT.rawValue)

    init(stream: ZipEntryStream) throws {
        xmlInitParser()
        self.stream = stream
        let context = Unmanaged.passUnretained(stream).toOpaque()
        guard let reader = xmlReaderForIO(xlsxPartRead, xlsxPartClose, context, stream.entry.name, nil, XLSXPartReader.options) else {
            throw stream.archive.fail("libxml2 could not start reading \(stream.entry.name)")
        }
        self.reader = reader
        xmlTextReaderSetStructuredErrorHandler(reader, xlsxPartError, Unmanaged.passUnretained(self).toOpaque())
    }

    deinit { xmlFreeTextReader(reader) }

    /// Moves to the next node; false at the end of the part.
    @inline(__always)
    func read() throws -> Bool {
        let status = xmlTextReaderRead(reader)
        if status == 1 { return true }
        if status == 0 && parseError == nil && stream.failure == nil { return false }
        throw failure()
    }

    /// Skips the current element's subtree.
    func skip() throws {
        let status = xmlTextReaderNext(reader)
        if status < 0 || parseError != nil || stream.failure != nil { throw failure() }
    }

    func failure() -> Error {
        if let error = stream.failure { return error }
        let detail = parseError ?? "unexpected end of the document"
        return stream.archive.fail("\(partName) is not well-formed XML (\(detail))")
    }

    @inline(__always) var nodeType: Int32 { xmlTextReaderNodeType(reader) }
    @inline(__always) var localName: UnsafePointer<xmlChar>? { xmlTextReaderConstLocalName(reader) }
    @inline(__always) var isEmptyElement: Bool { xmlTextReaderIsEmptyElement(reader) == 1 }
    @inline(__always) var depth: Int32 { xmlTextReaderDepth(reader) }
    /// The text of the current text node or attribute, without a copy (valid until the next move).
    @inline(__always) var value: UnsafePointer<xmlChar>? { xmlTextReaderConstValue(reader) }

    /// The reader's own copy of `name`: element and attribute names from the reader are the
    /// same pointer, so they compare by address.
    func intern(_ name: String) -> UnsafePointer<xmlChar> { xmlTextReaderConstString(reader, name)! }

    /// Calls `body` with each attribute's interned local name, its value, and whether it has a
    /// namespace prefix; then moves back to the element.
    @inline(__always)
    func forEachAttribute(_ body: (UnsafePointer<xmlChar>, UnsafePointer<xmlChar>, Bool) -> Void) {
        while xmlTextReaderMoveToNextAttribute(reader) == 1 {
            guard let name = xmlTextReaderConstLocalName(reader), let value = xmlTextReaderConstValue(reader) else { continue }
            body(name, value, xmlTextReaderConstPrefix(reader) != nil)
        }
        _ = xmlTextReaderMoveToElement(reader)
    }

    /// The current element's attributes as strings (for the small parts).
    func attributes() -> [String: String] {
        var result: [String: String] = [:]
        forEachAttribute { name, value, prefixed in
            let key = String(cString: name)
            // A prefixed attribute (`r:id`) is keyed with a colon so it never hides a plain one.
            result[prefixed ? ":" + key : key] = String(cString: value)
        }
        return result
    }

    /// The concatenated text inside the current element (for the small parts).
    func elementText() throws -> String {
        if isEmptyElement { return "" }
        let start = depth
        var bytes: [UInt8] = []
        while try read() {
            let type = nodeType
            if type == XLSXPartReader.endElement && depth == start { break }
            if XLSXPartReader.isText(type), let text = value {
                bytes.append(contentsOf: UnsafeBufferPointer(start: text, count: XLSXPartReader.length(text)))
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

extension XLSXPartReader {
    // xmlTextReader node types.
    static let element: Int32 = 1
    static let text: Int32 = 3
    static let cdata: Int32 = 4
    static let whitespace: Int32 = 13
    static let significantWhitespace: Int32 = 14
    static let endElement: Int32 = 15

    /// Length of a NUL-terminated libxml2 string.
    @inline(__always) static func length(_ text: UnsafePointer<xmlChar>) -> Int {
        strlen(UnsafeRawPointer(text).assumingMemoryBound(to: CChar.self))
    }

    /// Text, CDATA or whitespace: the node types that carry a value's characters.
    @inline(__always) static func isText(_ type: Int32) -> Bool {
        type == text || type == cdata || type == whitespace || type == significantWhitespace
    }
}

private func xlsxPartRead(_ context: UnsafeMutableRawPointer?, _ buffer: UnsafeMutablePointer<CChar>?, _ length: Int32) -> Int32 {
    guard let context, let buffer, length > 0 else { return 0 }
    let stream = Unmanaged<ZipEntryStream>.fromOpaque(context).takeUnretainedValue()
    do {
        return Int32(try stream.read(into: UnsafeMutableRawBufferPointer(start: buffer, count: Int(length))))
    } catch {
        stream.failure = error
        return -1
    }
}

private func xlsxPartClose(_ context: UnsafeMutableRawPointer?) -> Int32 { 0 }

private func xlsxPartError(_ context: UnsafeMutableRawPointer?, _ error: xmlErrorPtr?) {
    guard let context, let error else { return }
    let part = Unmanaged<XLSXPartReader>.fromOpaque(context).takeUnretainedValue()
    guard part.parseError == nil else { return }
    var message = error.pointee.message.map { String(cString: $0) } ?? "error \(error.pointee.code)"
    while message.last == "\n" || message.last == " " { message.removeLast() }
    part.parseError = "line \(error.pointee.line): \(message)"
}
