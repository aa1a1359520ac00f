import CLibXML2
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads records from an XML file with libxml2's streaming `xmlTextReader`, pulling plain or
/// gzip bytes through `XMLInputScreen`, so memory stays bounded whatever the file size.
///
/// `recordElement` (`source.record`) names the element that holds one record:
/// - a name, `Account`: every `Account` element, however deeply nested (an `Account` inside a
///   record belongs to that record);
/// - a path, `Placement/Accounts/Account` (or `/Placement/…`): only elements at exactly that
///   path from the root; `//Accounts/Account` matches that tail anywhere.
/// Names match by local name: namespace prefixes are ignored, in the file and in the paths.
///
/// Values are named by paths relative to the record: `SSN`, `Debtor/SSN`, `@number` (an
/// attribute of the record), `Phone/@type`; the second `Phone` in a parent is `Phones/Phone[2]`
/// (`Phone[1]` is the same as `Phone`). A value is the element's own text, CDATA included,
/// with surrounding whitespace trimmed; an element holding other elements is not a leaf (a mapping
/// column naming it gets its own trimmed text).
///
/// Header: the leaf paths of the first 1,000 records in first-seen order, plus mapping columns
/// that name another path found there (see `RecordHeader`). **Limit**: a path that first
/// appears after those records is not read, and a mapping column none of them has is left out
/// of the header, so the run stops naming the closest header rather than reading it later.
///
/// Security, the point of this reader: libxml2 runs with `XML_PARSE_NONET` and never with
/// `NOENT`, `DTDLOAD`, `DTDATTR` or `HUGE` (no entity expansion, no external DTD, no network,
/// libxml2's size limits on). On top of that, `XMLInputScreen` reads every byte before libxml2
/// does and refuses a file that declares entities (`<!ENTITY`), refers to a parameter entity,
/// or uses any entity reference other than the five predefined ones and character references,
/// before libxml2 sees the declaration: nothing is expanded, fetched or leaked (XXE, billion
/// laughs). Refused with `ReaderError.cannotOpen` ("the file declares XML entities; they are not
/// expanded (XXE / billion laughs protection)"), wherever in the file it is found. libxml2's own
/// limits stay on: one text value over 10 MB, or elements nested deeper than 256, stop the file.
///
/// Encodings: UTF-8 (with or without BOM), UTF-16 (BOM, or little-endian by its first bytes),
/// and ISO-8859-1/Windows-1252 when the XML declaration says so, transcoded to UTF-8 before
/// libxml2 (told to ignore the declared encoding); any other declared encoding is refused.
///
/// Rejected rows (`.malformed`), reading goes on with the next record:
/// - invalid UTF-8 inside a record (named by byte offset in the decompressed file; the byte is
///   shown to libxml2 as `?` so it can go on);
/// - a record whose values and attributes add up to more than `limits.maxRecordBytes`.
/// Their raw text is the record's `path=value` pairs. A file that is not well-formed XML stops
/// at the first error (`ReaderError`, naming the line, and the offset of an invalid UTF-8 byte
/// not inside a finished record, the likely cause, when there is one).
public final class XMLRecordReader: RecordReader {
    public let path: String
    public private(set) var header: [String] = []
    public private(set) var notices: [String] = []
    /// The record element or path, as configured.
    public let recordElement: String
    public let limits: RecordReaderLimits

    private let screen: XMLInputScreen
    private var reader: xmlTextReaderPtr?
    private let recordNames: [String]
    private let anchored: Bool
    private let wanted: Set<String>
    /// Local names from the root to the current element, outside records.
    private var ancestry: [String] = []
    private var rootName: String?
    private var recordHeader = RecordHeader()
    private var buffer = HeaderScanBuffer()
    private var row = 0
    private var opened = false
    private var finished = false
    /// The first fatal error libxml2 reported.
    fileprivate var parseError: (line: Int, message: String)?
    /// libxml2 met an entity problem (defence in depth: the screen should have refused first).
    fileprivate var entityError: String?

    static let parseOptions = Int32(XML_PARSE_NONET.rawValue | XML_PARSE_NOCDATA.rawValue | XML_PARSE_COMPACT.rawValue
                                    | XML_PARSE_IGNORE_ENC.rawValue)

    public convenience init(path: String, recordElement: String?, columns: [String] = [],
                            limits: RecordReaderLimits = .init()) throws {
        try self.init(source: openByteSource(path: path), path: path, recordElement: recordElement, columns: columns,
                      limits: limits, chunkSize: XMLInputScreen.defaultChunkSize)
    }

    /// Reads from any byte source; `chunkSize` is exposed so tests can put chunk boundaries everywhere.
    init(source: ByteSource, path: String, recordElement: String?, columns: [String], limits: RecordReaderLimits = .init(),
         chunkSize: Int) throws {
        self.path = path
        self.limits = limits
        let element = blankTrimmed(recordElement ?? "")
        guard !element.isEmpty else {
            throw ReaderError.cannotOpen(path: path, reason: "the XML reader needs source.record: the element that holds one record "
                                         + "(a name such as Account, or a path such as Placement/Accounts/Account)")
        }
        self.recordElement = element
        (recordNames, anchored) = XMLRecordReader.parseRecordPath(element)
        guard !recordNames.isEmpty else {
            throw ReaderError.cannotOpen(path: path, reason: "source.record \"\(element)\" names no element")
        }
        wanted = Set(columns.map(XMLRecordReader.canonicalPath).filter { !$0.isEmpty })

        let replaying = ReplayingByteSource(source)
        let prefix = try replaying.prefix(count: 1024)
        let decoded: ByteSource
        switch XMLRecordReader.detectEncoding(prefix) {
        case .utf8: decoded = replaying
        case .utf16: decoded = UTF16ToUTF8Source(replaying)
        case .windows1252: decoded = Windows1252ToUTF8Source(replaying)
        case .unsupported(let reason): throw ReaderError.cannotOpen(path: path, reason: reason)
        }
        screen = XMLInputScreen(source: decoded, chunkSize: chunkSize)

        xmlInitParser()
        let context = Unmanaged.passUnretained(screen).toOpaque()
        guard let reader = xmlReaderForIO(xmlScreenRead, xmlScreenClose, context, nil, nil, XMLRecordReader.parseOptions) else {
            throw ReaderError.cannotOpen(path: path, reason: "libxml2 could not start reading")
        }
        self.reader = reader
        xmlTextReaderSetStructuredErrorHandler(reader, xmlRecordReaderError, Unmanaged.passUnretained(self).toOpaque())

        let (header, reachedEnd) = try buffer.fill(limits: limits, columns: columns, canonical: XMLRecordReader.canonicalPath,
                                                   read: readFlat)
        recordHeader = header
        self.header = header.names
        if reachedEnd && buffer.isEmpty {
            let root = rootName.map { " (the root element is <\($0)>)" } ?? ""
            notices.append("\(path): no element matches source.record \"\(element)\"\(root); the file holds no records")
        }
        opened = true
    }

    deinit {
        if let reader { xmlFreeTextReader(reader) }
    }

    public func next() throws -> ReadResult? {
        if !buffer.isEmpty { return buffer.next(header: recordHeader) }
        return try readFlat().map { readResult(from: $0, header: recordHeader) }
    }

    // MARK: - Walking the document

    private func readFlat() throws -> FlatResult? {
        guard !finished, let reader else { return nil }
        while try read() {
            switch xmlTextReaderNodeType(reader) {
            case XMLNodeType.element:
                let tag = screen.popStartTag()
                let name = localName()
                if rootName == nil { rootName = name }
                let empty = xmlTextReaderIsEmptyElement(reader) == 1
                ancestry.append(name)
                if matchesRecord() {
                    ancestry.removeLast()
                    return try readRecord(tag: tag, empty: empty)
                }
                if let tag { screen.dropInvalidBytes(before: tag.event) }
                if empty { ancestry.removeLast() }
            case XMLNodeType.endElement:
                if !ancestry.isEmpty { ancestry.removeLast() }
            case XMLNodeType.entityReference:
                throw refused(entityReference: currentName())
            case XMLNodeType.documentType:
                try checkDocumentType()
            default:
                continue
            }
        }
        finished = true
        return nil
    }

    private struct Frame {
        var path: String
        var order: Int
        var textStart: Int
        var hasChildren = false
        /// How many children of each name so far (few names per parent: a list is enough).
        var childCounts: [(name: String, count: Int)] = []

        mutating func component(for name: String) -> String {
            if let index = childCounts.firstIndex(where: { $0.name == name }) {
                childCounts[index].count += 1
                return "\(name)[\(childCounts[index].count)]"
            }
            childCounts.append((name, 1))
            return name
        }
    }

    /// Reads the record whose start tag the reader is on, through its end tag.
    private func readRecord(tag: XMLInputScreen.StartTag?, empty: Bool) throws -> FlatResult {
        guard let reader else { throw fail("the reader is closed") }
        row += 1
        let recordRow = row
        let recordLine = tag?.line ?? Int(xmlTextReaderGetParserLineNumber(reader))
        var record = FlatRecord(row: recordRow, line: recordLine)
        var frames = [Frame(path: "", order: 0, textStart: 0)]
        var text: [UInt8] = []
        var order = 0
        var elements = 1
        var size = 0
        var oversize = false
        let maxBytes = limits.maxRecordBytes

        func add(_ path: String, _ value: UnsafeBufferPointer<UInt8>, leaf: Bool, order: Int) {
            guard !oversize else { return }
            size += path.utf8.count + value.count
            if size > maxBytes {
                oversize = true
                return
            }
            record.append(path, value, leaf: leaf, order: order)
        }
        func addAttributes(of elementPath: String) {
            while xmlTextReaderMoveToNextAttribute(reader) == 1 {
                guard xmlTextReaderIsNamespaceDecl(reader) != 1, let name = xmlTextReaderConstLocalName(reader) else { continue }
                let attributePath = elementPath.isEmpty ? "@" + String(cString: name) : elementPath + "/@" + String(cString: name)
                order += 1
                let value = xmlTextReaderConstValue(reader)
                withTrimmed(value) { add(attributePath, $0, leaf: true, order: order) }
            }
            _ = xmlTextReaderMoveToElement(reader)
        }

        addAttributes(of: "")
        if !empty {
            walk: while true {
                guard try read() else { throw fail("the file ends inside record \(recordRow) (line \(recordLine))") }
                switch xmlTextReaderNodeType(reader) {
                case XMLNodeType.element:
                    _ = screen.popStartTag()
                    elements += 1
                    let name = localName()
                    let parent = frames.count - 1
                    frames[parent].hasChildren = true
                    let component = frames[parent].component(for: name)
                    let elementPath = frames[parent].path.isEmpty ? component : frames[parent].path + "/" + component
                    order += 1
                    let elementOrder = order
                    addAttributes(of: elementPath)
                    if xmlTextReaderIsEmptyElement(reader) == 1 {
                        add(elementPath, UnsafeBufferPointer(start: nil, count: 0), leaf: true, order: elementOrder)
                    } else {
                        frames.append(Frame(path: elementPath, order: elementOrder, textStart: text.count))
                    }
                case XMLNodeType.endElement:
                    let frame = frames.removeLast()
                    if frames.isEmpty { break walk }
                    if !frame.hasChildren || wanted.contains(frame.path) {
                        text.withUnsafeBufferPointer { all in
                            add(frame.path, trimmed(UnsafeBufferPointer(rebasing: all[frame.textStart...])), leaf: !frame.hasChildren,
                                order: frame.order)
                        }
                    }
                    text.removeSubrange(frame.textStart...)
                case XMLNodeType.text, XMLNodeType.cdata, XMLNodeType.whitespace, XMLNodeType.significantWhitespace:
                    guard !oversize, let value = xmlTextReaderConstValue(reader) else { continue }
                    let count = strlen(UnsafeRawPointer(value).assumingMemoryBound(to: CChar.self))
                    if text.count + count > maxBytes {
                        oversize = true
                        continue
                    }
                    text.append(contentsOf: UnsafeBufferPointer(start: value, count: count))
                case XMLNodeType.entityReference:
                    throw refused(entityReference: currentName())
                default:
                    continue
                }
            }
        }

        if let tag, let offset = screen.takeInvalidBytes(from: tag.event, through: tag.event + 2 * elements - 2) {
            return .malformed(row: recordRow, line: recordLine, message: "invalid UTF-8 at byte offset \(offset)",
                              rawText: record.summary(limit: limits.maxRawTextBytes))
        }
        if oversize {
            return .malformed(row: recordRow, line: recordLine, message: "record larger than \(maxBytes) bytes",
                              rawText: record.summary(limit: limits.maxRawTextBytes))
        }
        return .record(record)
    }

    /// Moves to the next node; false at the end of the document.
    private func read() throws -> Bool {
        guard let reader else { return false }
        let status = xmlTextReaderRead(reader)
        if status == 1 && entityError == nil { return true }
        if let refusal = screen.refusal { throw refusedError(refusal) }
        if let failure = screen.failure { throw failure }
        if let entityError { throw refusedError(entityError) }
        if status == 0 && parseError == nil { return false }
        let detail = parseError.map { "line \($0.line): \($0.message)" } ?? "unexpected end of the document"
        let utf8 = screen.pendingInvalidOffset.map { "; the file has invalid UTF-8 at byte offset \($0)" } ?? ""
        throw fail("not well-formed XML (\(detail))\(utf8)")
    }

    private func matchesRecord() -> Bool {
        let n = recordNames.count
        if anchored { return ancestry.count == n && ancestry.elementsEqual(recordNames) }
        return ancestry.count >= n && ancestry[(ancestry.count - n)...].elementsEqual(recordNames)
    }

    private func localName() -> String {
        guard let reader, let name = xmlTextReaderConstLocalName(reader) else { return "" }
        return String(cString: name)
    }

    private func currentName() -> String {
        guard let reader, let name = xmlTextReaderConstName(reader) else { return "?" }
        return String(cString: name)
    }

    /// Defence in depth: a DTD node holding entity declarations (the screen refuses those first).
    private func checkDocumentType() throws {
        guard let reader, let node = xmlTextReaderCurrentNode(reader), node.pointee.type == XML_DTD_NODE else { return }
        let dtd = UnsafeMutableRawPointer(node).assumingMemoryBound(to: xmlDtd.self)
        if dtd.pointee.entities != nil || dtd.pointee.pentities != nil {
            throw refusedError(XMLInputScreen.entityRefusal("the DOCTYPE declares entities"))
        }
    }

    private func refused(entityReference name: String) -> ReaderError {
        refusedError(XMLInputScreen.entityRefusal("entity reference &\(name);"))
    }

    private func refusedError(_ reason: String) -> ReaderError {
        finished = true
        return ReaderError.cannotOpen(path: path, reason: reason)
    }

    /// A problem that ends the file: `cannotOpen` while the header is being read, `ioError` after.
    private func fail(_ reason: String) -> ReaderError {
        finished = true
        return opened ? .ioError(path: path, reason: reason) : .cannotOpen(path: path, reason: reason)
    }

    fileprivate func noteError(_ error: xmlError) {
        let code = Int(error.code)
        if [Int(XML_ERR_UNDECLARED_ENTITY.rawValue), Int(XML_WAR_UNDECLARED_ENTITY.rawValue), Int(XML_ERR_ENTITY_LOOP.rawValue),
            Int(XML_ERR_ENTITY_PE_INTERNAL.rawValue), Int(XML_ERR_UNPARSED_ENTITY.rawValue)].contains(code) {
            if entityError == nil { entityError = XMLInputScreen.entityRefusal("libxml2 error \(code) at line \(error.line)") }
            return
        }
        guard error.level == XML_ERR_FATAL, parseError == nil else { return }
        var message = error.message.map { String(cString: $0) } ?? "error \(code)"
        while message.last == "\n" || message.last == " " { message.removeLast() }
        parseError = (Int(error.line), message)
    }

    // MARK: - Configuration

    /// `Placement/Accounts/Account` → (["Placement", "Accounts", "Account"], anchored: true);
    /// `Account` and `//Accounts/Account` match anywhere.
    static func parseRecordPath(_ text: String) -> ([String], Bool) {
        let anywhere = text.hasPrefix("//")
        let names = text.split(separator: "/").map { localPart(blankTrimmed(String($0))) }.filter { !$0.isEmpty }
        return (names, !anywhere && names.count > 1 || (!anywhere && text.hasPrefix("/")))
    }

    /// A mapping column as the path this reader writes: prefixes dropped, `[1]` dropped,
    /// blanks around `/` dropped (`ns:Phones / ns:Phone[1]` → `Phones/Phone`).
    static func canonicalPath(_ column: String) -> String {
        var trimmed = blankTrimmed(column)
        while trimmed.hasPrefix("./") { trimmed.removeFirst(2) }
        return trimmed.split(separator: "/", omittingEmptySubsequences: false).map { part -> String in
            var component = blankTrimmed(String(part))
            let attribute = component.hasPrefix("@")
            if attribute { component.removeFirst() }
            component = localPart(component)
            if component.hasSuffix("[1]") { component.removeLast(3) }
            return attribute ? "@" + component : component
        }.joined(separator: "/")
    }

    private static func localPart(_ name: String) -> String {
        guard let colon = name.lastIndex(of: ":") else { return name }
        return String(name[name.index(after: colon)...])
    }

    enum Encoding: Equatable {
        case utf8, utf16, windows1252
        case unsupported(String)
    }

    /// From the first bytes: a BOM, UTF-16 by its pattern, else the XML declaration's `encoding`.
    static func detectEncoding(_ prefix: [UInt8]) -> Encoding {
        if prefix.count >= 2 && ((prefix[0] == 0xFF && prefix[1] == 0xFE) || (prefix[0] == 0xFE && prefix[1] == 0xFF)) { return .utf16 }
        if prefix.count >= 4 && prefix[0] == 0x3C && prefix[1] == 0 && prefix[2] == 0x3F && prefix[3] == 0 { return .utf16 }
        if prefix.count >= 4 && prefix[0] == 0 && prefix[1] == 0x3C && prefix[2] == 0 && prefix[3] == 0x3F {
            return .unsupported("UTF-16 big-endian without a byte order mark is not supported; save the file as UTF-8")
        }
        guard let declared = declaredEncoding(prefix) else { return .utf8 }
        switch declared.lowercased() {
        case "utf-8", "utf8", "us-ascii", "ascii", "utf-16", "utf16":
            return .utf8
        case "iso-8859-1", "iso8859-1", "iso_8859-1", "latin1", "latin-1", "l1", "windows-1252", "cp1252":
            return .windows1252
        default:
            return .unsupported("the XML declaration names encoding \"\(declared)\"; supported are UTF-8, UTF-16, ISO-8859-1 and Windows-1252")
        }
    }

    /// The `encoding` pseudo-attribute of an `<?xml …?>` declaration at the start, if any.
    static func declaredEncoding(_ prefix: [UInt8]) -> String? {
        var bytes = prefix[...]
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = bytes.dropFirst(3) }
        guard bytes.starts(with: Array("<?xml".utf8)), let close = bytes.firstIndex(of: UInt8(ascii: ">")) else { return nil }
        let declaration = String(decoding: bytes[..<close], as: UTF8.self)
        guard let range = declaration.range(of: "encoding") else { return nil }
        var rest = declaration[range.upperBound...].drop { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\n" }
        guard rest.first == "=" else { return nil }
        rest = rest.dropFirst().drop { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\n" }
        guard let quoteMark = rest.first, quoteMark == "\"" || quoteMark == "'" else { return nil }
        rest = rest.dropFirst()
        guard let end = rest.firstIndex(of: quoteMark) else { return nil }
        return String(rest[..<end])
    }
}


@inline(__always)
private func isXMLBlank(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D }

private func trimmed(_ bytes: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8> {
    var start = 0
    var end = bytes.count
    while start < end && isXMLBlank(bytes[start]) { start += 1 }
    while end > start && isXMLBlank(bytes[end - 1]) { end -= 1 }
    return UnsafeBufferPointer(rebasing: bytes[start..<end])
}

private func withTrimmed(_ text: UnsafePointer<xmlChar>?, _ body: (UnsafeBufferPointer<UInt8>) -> Void) {
    guard let text else { return body(UnsafeBufferPointer(start: nil, count: 0)) }
    let count = strlen(UnsafeRawPointer(text).assumingMemoryBound(to: CChar.self))
    body(trimmed(UnsafeBufferPointer(start: text, count: count)))
}

private func xmlScreenRead(_ context: UnsafeMutableRawPointer?, _ buffer: UnsafeMutablePointer<CChar>?, _ length: Int32) -> Int32 {
    guard let context, let buffer, length > 0 else { return 0 }
    let screen = Unmanaged<XMLInputScreen>.fromOpaque(context).takeUnretainedValue()
    return screen.read(into: UnsafeMutableRawPointer(buffer).assumingMemoryBound(to: UInt8.self), count: Int(length))
}

private func xmlScreenClose(_ context: UnsafeMutableRawPointer?) -> Int32 { 0 }

private func xmlRecordReaderError(_ context: UnsafeMutableRawPointer?, _ error: xmlErrorPtr?) {
    guard let context, let error else { return }
    Unmanaged<XMLRecordReader>.fromOpaque(context).takeUnretainedValue().noteError(error.pointee)
}

/// Sits between the byte source and libxml2 and reads every byte before libxml2 does:
/// - refuses entity declarations and references other than the five predefined ones and
///   character references (the read fails, so libxml2 never sees them);
/// - checks UTF-8, records where invalid bytes were and hands libxml2 a `?` instead, so one bad
///   value rejects one record instead of stopping the file;
/// - notes the line and byte offset of every start tag, which libxml2 cannot give exactly.
///
/// It is a small lexer (text, tags and attribute values, comments, CDATA, processing
/// instructions, the DOCTYPE and its internal subset), one byte at a time, in constant memory:
/// its queues hold only what libxml2 has read but the reader has not reached yet.
final class XMLInputScreen {
    struct StartTag {
        let line: Int
        let offset: Int
        /// Tag events (start and end tags, counted as the screen saw them) up to and including this one.
        let event: Int
    }

    static let defaultChunkSize = 64 * 1024

    /// Why the file is refused, once it is.
    private(set) var refusal: String?
    /// An error from the byte source (libxml2 only sees -1).
    private(set) var failure: Error?

    private let source: ByteSource
    private let chunkSize: Int
    private var buf: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    private var pos = 0
    private var end = 0
    private var bufOffset = 0
    private var eof = false

    private var line = 1
    private var events = 0
    private var startTags: [StartTag] = []
    private var startHead = 0
    private var invalid: [(offset: Int, event: Int)] = []
    private var invalidHead = 0

    private enum State {
        case text, lessThan, startTag, tagQuote, endTag, bang, comment, cdata, instruction
        case doctype, doctypeQuote, doctypeLessThan, doctypeBang, entity
    }
    private var state = State.text
    /// Where a comment or processing instruction returns to (text, or the DOCTYPE).
    private var returnState = State.text
    private var entityReturn = State.text
    private var quoteChar: UInt8 = 0
    private var counter = 0
    private var flag = false
    private var inSubset = false
    private var keyword: [UInt8] = []
    private var entityName: [UInt8] = []
    private var lessThanLine = 1
    private var lessThanOffset = 0

    init(source: ByteSource, chunkSize: Int = defaultChunkSize) {
        precondition(chunkSize > 0)
        self.source = source
        self.chunkSize = chunkSize
        capacity = chunkSize + 8
        buf = .allocate(capacity: capacity)
        keyword.reserveCapacity(8)
        entityName.reserveCapacity(8)
    }

    deinit { buf.deallocate() }

    static func entityRefusal(_ detail: String) -> String {
        "the file declares XML entities; they are not expanded (XXE / billion laughs protection): \(detail)"
    }

    // MARK: - Queues for the reader

    func popStartTag() -> StartTag? {
        guard startHead < startTags.count else { return nil }
        let tag = startTags[startHead]
        startHead += 1
        if startHead > 1024 && startHead * 2 > startTags.count {
            startTags.removeFirst(startHead)
            startHead = 0
        }
        return tag
    }

    /// The first invalid UTF-8 byte not yet put down to a record: when the document breaks, the
    /// likely cause (the screen reads ahead of libxml2, so later ones may be queued too).
    var pendingInvalidOffset: Int? { invalidHead < invalid.count ? invalid[invalidHead].offset : nil }

    /// Forgets invalid bytes that came before tag event `event` (outside any record).
    func dropInvalidBytes(before event: Int) {
        while invalidHead < invalid.count && invalid[invalidHead].event < event { invalidHead += 1 }
        compactInvalid()
    }

    /// The first invalid byte seen between tag events `from` and `through` (one record), and
    /// forgets those before `through`.
    func takeInvalidBytes(from: Int, through: Int) -> Int? {
        var found: Int?
        while invalidHead < invalid.count && invalid[invalidHead].event <= through {
            if found == nil && invalid[invalidHead].event >= from { found = invalid[invalidHead].offset }
            invalidHead += 1
        }
        compactInvalid()
        return found
    }

    private func compactInvalid() {
        if invalidHead == invalid.count {
            invalid.removeAll(keepingCapacity: true)
            invalidHead = 0
        } else if invalidHead > 1024 && invalidHead * 2 > invalid.count {
            invalid.removeFirst(invalidHead)
            invalidHead = 0
        }
    }

    // MARK: - libxml2's read callback

    /// Fills `dst` with up to `count` screened bytes; 0 at the end, -1 when refused or failed.
    func read(into dst: UnsafeMutablePointer<UInt8>, count: Int) -> Int32 {
        if refusal != nil || failure != nil { return -1 }
        var o = 0
        while o < count {
            if pos == end {
                if eof || o > 0 { break }
                do { try refill() } catch {
                    failure = error
                    return -1
                }
                continue
            }
            let b = buf[pos]
            if b < 0x80 {
                step(b)
                dst[o] = b
                o += 1
                pos += 1
                if refusal != nil { return -1 }
                continue
            }
            // A multi-byte UTF-8 sequence (RFC 3629).
            let (length, low, high) = utf8SequenceShape(lead: b)
            if length > 0 && end - pos < length && !eof {
                // The sequence continues in the next chunk: hand over what is done first.
                if o > 0 { break }
                do { try refill() } catch {
                    failure = error
                    return -1
                }
                continue
            }
            if length > count - o { break }
            var valid = length > 0 && end - pos >= length
            if valid {
                valid = buf[pos + 1] >= low && buf[pos + 1] <= high
                var k = 2
                while valid && k < length {
                    valid = buf[pos + k] & 0xC0 == 0x80
                    k += 1
                }
            }
            if valid {
                for k in 0..<length {
                    step(buf[pos + k])
                    dst[o] = buf[pos + k]
                    o += 1
                }
                pos += length
            } else {
                let offset = bufOffset + pos
                if invalid.count == invalidHead || invalid[invalid.count - 1].event != events {
                    invalid.append((offset, events))
                }
                step(UInt8(ascii: "?"))
                dst[o] = UInt8(ascii: "?")
                o += 1
                pos += 1
            }
            if refusal != nil { return -1 }
        }
        return Int32(o)
    }

    private func refill() throws {
        if pos > 0 {
            let keep = end - pos
            if keep > 0 { memmove(buf, buf + pos, keep) }
            bufOffset += pos
            end = keep
            pos = 0
        }
        let n = try source.read(into: UnsafeMutableRawBufferPointer(start: buf + end, count: capacity - end))
        if n == 0 { eof = true } else { end += n }
    }

    // MARK: - Lexer

    private func refuse(_ detail: String) {
        if refusal == nil { refusal = XMLInputScreen.entityRefusal("\(detail) at line \(line)") }
    }

    @inline(__always)
    private func step(_ byte: UInt8) {
        if byte == 0x0A { line += 1 }
        lex(byte)
    }

    private func lex(_ b: UInt8) {
        switch state {
        case .text:
            if b == 0x3C { // <
                state = .lessThan
                lessThanLine = line
                lessThanOffset = bufOffset + pos
            } else if b == 0x26 { // &
                beginEntity(returningTo: .text)
            }
        case .lessThan:
            if isNameStart(b) {
                events += 1
                startTags.append(StartTag(line: lessThanLine, offset: lessThanOffset, event: events))
                state = .startTag
                flag = false
            } else if b == 0x2F { // </
                events += 1
                state = .endTag
            } else if b == 0x21 { // <!
                state = .bang
                keyword.removeAll(keepingCapacity: true)
            } else if b == 0x3F { // <?
                state = .instruction
                flag = false
                returnState = .text
            } else {
                state = .text
            }
        case .startTag:
            if b == 0x22 || b == 0x27 {
                quoteChar = b
                state = .tagQuote
            } else if b == 0x3E { // >
                if flag { events += 1 } // <x/> ends the element too
                state = .text
            } else {
                flag = b == 0x2F
            }
        case .tagQuote:
            if b == quoteChar {
                state = .startTag
                flag = false
            } else if b == 0x26 {
                beginEntity(returningTo: .tagQuote)
            }
        case .endTag:
            if b == 0x3E { state = .text }
        case .bang:
            keyword.append(b)
            if keyword == dashDash {
                state = .comment
                counter = 0
                returnState = .text
            } else if keyword == cdataOpen {
                state = .cdata
                counter = 0
            } else if keyword == doctypeWord {
                state = .doctype
                inSubset = false
            } else if keyword == entityWord {
                refuse("<!ENTITY")
            } else if ![dashDash, cdataOpen, doctypeWord, entityWord].contains(where: { $0.starts(with: keyword) }) {
                state = .text
            }
        case .comment:
            if b == 0x2D {
                counter += 1
            } else {
                if b == 0x3E && counter >= 2 { state = returnState }
                counter = 0
            }
        case .cdata:
            if b == 0x5D {
                counter += 1
            } else {
                if b == 0x3E && counter >= 2 { state = .text }
                counter = 0
            }
        case .instruction:
            if b == 0x3E && flag { state = returnState }
            flag = b == 0x3F
        case .doctype:
            switch b {
            case 0x22, 0x27:
                quoteChar = b
                state = .doctypeQuote
            case 0x5B: inSubset = true
            case 0x5D: inSubset = false
            case 0x3E: if !inSubset { state = .text }
            case 0x3C: if inSubset { state = .doctypeLessThan }
            case 0x25: if inSubset { refuse("parameter entity reference %") }
            default: break
            }
        case .doctypeQuote:
            if b == quoteChar {
                state = .doctype
            } else if b == 0x26 {
                beginEntity(returningTo: .doctypeQuote)
            }
        case .doctypeLessThan:
            if b == 0x21 {
                state = .doctypeBang
                keyword.removeAll(keepingCapacity: true)
            } else if b == 0x3F {
                state = .instruction
                flag = false
                returnState = .doctype
            } else {
                state = .doctype
            }
        case .doctypeBang:
            keyword.append(b)
            if keyword == dashDash {
                state = .comment
                counter = 0
                returnState = .doctype
            } else if keyword == entityWord {
                refuse("<!ENTITY")
            } else if !dashDash.starts(with: keyword) && !entityWord.starts(with: keyword) {
                state = .doctype // ELEMENT, ATTLIST, NOTATION
            }
        case .entity:
            if b == 0x3B { // ;
                if !predefinedEntities.contains(entityName) {
                    refuse("entity reference &\(String(decoding: entityName, as: UTF8.self));")
                }
                state = entityReturn
            } else if entityName.isEmpty && b == 0x23 { // &# character reference: libxml2 checks it
                state = entityReturn
            } else if isNameChar(b) {
                entityName.append(b)
                if entityName.count > 64 { refuse("entity reference &\(String(decoding: entityName, as: UTF8.self))…") }
            } else {
                // Not a reference (libxml2 reports the stray '&'); the byte belongs to the state before.
                state = entityReturn
                lex(b)
            }
        }
    }

    private func beginEntity(returningTo state: State) {
        entityReturn = state
        entityName.removeAll(keepingCapacity: true)
        self.state = .entity
    }
}

private let dashDash = Array("--".utf8)
private let cdataOpen = Array("[CDATA[".utf8)
private let doctypeWord = Array("DOCTYPE".utf8)
private let entityWord = Array("ENTITY".utf8)
private let predefinedEntities: [[UInt8]] = ["lt", "gt", "amp", "apos", "quot"].map { Array($0.utf8) }

@inline(__always)
private func isNameStart(_ b: UInt8) -> Bool {
    (b >= 0x61 && b <= 0x7A) || (b >= 0x41 && b <= 0x5A) || b == 0x5F || b == 0x3A || b >= 0x80
}

@inline(__always)
private func isNameChar(_ b: UInt8) -> Bool {
    isNameStart(b) || (b >= 0x30 && b <= 0x39) || b == 0x2D || b == 0x2E
}

// MARK: - As a pipeline's reader

extension XMLRecordReader: ReaderComponent {
    public struct SourceOptions: ReaderOptions {
        /// The element that holds one record (`Account`, or a path `Placement/Accounts/Account`).
        public var record: String?
    }

    public static let extensions = ["xml", "xml.gz"]

    public static let spec = ComponentSpec(.reader, "xml",
        summary: "XML, streamed; the mapping names paths inside a record (Debtor/SSN, @number for an attribute).",
        options: [
            OptionSpec("record", .string, required: true,
                       help: "The element holding one record: a name (every such element) or a path from the root.", example: "Placement/Accounts/Account"),
        ],
        example: "source:\n  file: ../SampleData/placement.xml\n  reader: xml\n  record: Placement/Accounts/Account",
        notes: ["DTDs with entities, external entities and network access are refused (no XXE, no billion laughs)."])

    public static func options(_ section: ConfigSection) throws -> SourceOptions {
        SourceOptions(record: try section["record"]?.string())
    }

    public static func open(path: String, options: SourceOptions, columns: [String]) throws -> any RecordReader {
        try XMLRecordReader(path: path, recordElement: options.record, columns: columns)
    }
}
