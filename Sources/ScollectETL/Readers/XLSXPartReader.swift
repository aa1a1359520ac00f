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
/// (no entity expansion, no external DTD, libxml2's default size limits stay on). A DOCTYPE,
/// which no workbook part has, is refused (like the XML reader refuses entity declarations).
final class XLSXPartReader {
    let reader: xmlTextReaderPtr
    let archive: ZipArchive
    let partName: String
    private let input: Input
    /// The error that stopped the input (libxml2 only sees -1 from the read callback).
    var inputFailure: Error? { input.failure }
    /// The first parse error libxml2 reported, as "line N: message".
    fileprivate(set) var parseError: String?

    static let options = Int32(XML_PARSE_NONET.rawValue | XML_PARSE_COMPACT.rawValue)

    /// The input of the read callback.
    fileprivate final class Input {
        let source: ByteSource
        var failure: Error?
        init(_ source: ByteSource) { self.source = source }
    }

    /// Parses `stream`; with `readAhead`, the entry is inflated on a second thread.
    init(stream: ZipEntryStream, readAhead: Bool = false) throws {
        xmlInitParser()
        archive = stream.archive
        partName = stream.entry.name
        input = Input(readAhead ? ReadAheadByteSource(wrapping: stream) : stream)
        let context = Unmanaged.passUnretained(input).toOpaque()
        guard let reader = xmlReaderForIO(xlsxPartRead, xlsxPartClose, context, partName, nil, XLSXPartReader.options) else {
            throw archive.fail("libxml2 could not start reading \(partName)")
        }
        self.reader = reader
        xmlTextReaderSetStructuredErrorHandler(reader, xlsxPartError, Unmanaged.passUnretained(self).toOpaque())
    }

    deinit { xmlFreeTextReader(reader) }

    /// Before the root element: a DOCTYPE may still come.
    private var inProlog = true

    /// Moves to the next node; false at the end of the part.
    @inline(__always)
    func read() throws -> Bool {
        let status = xmlTextReaderRead(reader)
        if status == 1 {
            if inProlog { try checkProlog() }
            return true
        }
        if status == 0 && parseError == nil && input.failure == nil { return false }
        throw failure()
    }

    /// Refuses a DOCTYPE; the prolog ends at the first element.
    func checkProlog() throws {
        let type = xmlTextReaderNodeType(reader)
        if type == XMLNodeType.documentType { throw documentTypeRefusal() }
        if type == XMLNodeType.element { inProlog = false }
    }

    func documentTypeRefusal() -> ReaderError {
        var declaresEntities = false
        if let node = xmlTextReaderCurrentNode(reader), node.pointee.type == XML_DTD_NODE {
            let dtd = UnsafeMutableRawPointer(node).assumingMemoryBound(to: xmlDtd.self)
            declaresEntities = dtd.pointee.entities != nil || dtd.pointee.pentities != nil
        }
        let what = declaresEntities ? "a DOCTYPE declaring XML entities" : "a DOCTYPE"
        return archive.fail("\(partName) has \(what), which no workbook part has: refused (XXE / billion laughs protection)")
    }

    func failure() -> Error {
        if let error = input.failure { return error }
        let detail = parseError ?? "unexpected end of the document"
        return archive.fail("\(partName) is not well-formed XML (\(detail))")
    }

    @inline(__always) var nodeType: Int32 { xmlTextReaderNodeType(reader) }
    @inline(__always) var localName: UnsafePointer<xmlChar>? { xmlTextReaderConstLocalName(reader) }
    @inline(__always) var isEmptyElement: Bool { xmlTextReaderIsEmptyElement(reader) == 1 }
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
}

extension XLSXPartReader {
    /// Length of a NUL-terminated libxml2 string.
    @inline(__always) static func length(_ text: UnsafePointer<xmlChar>) -> Int {
        strlen(UnsafeRawPointer(text).assumingMemoryBound(to: CChar.self))
    }
}

private func xlsxPartRead(_ context: UnsafeMutableRawPointer?, _ buffer: UnsafeMutablePointer<CChar>?, _ length: Int32) -> Int32 {
    guard let context, let buffer, length > 0 else { return 0 }
    let input = Unmanaged<XLSXPartReader.Input>.fromOpaque(context).takeUnretainedValue()
    do {
        return Int32(try input.source.read(into: UnsafeMutableRawBufferPointer(start: buffer, count: Int(length))))
    } catch {
        input.failure = error
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
