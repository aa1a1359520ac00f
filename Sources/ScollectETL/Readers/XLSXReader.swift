import CLibXML2

/// A streaming reader for one worksheet of an Excel workbook (.xlsx, .xlsm), in bounded memory.
///
/// Pipeline: `ZipArchive` reads the zip's central directory; each part is inflated on demand
/// (`ZipEntryStream`: raw deflate through zlib, bomb limits, size and CRC-32 checked) into the
/// read callback of libxml2's streaming `xmlTextReader` (`XLSXPartReader`). The workbook,
/// relationships and styles are small; the shared strings are held in memory (one buffer).
/// The worksheet is inflated on a thread of its own (`ReadAheadByteSource`, a few 256 KiB
/// chunks ahead) and parsed one `<row>` at a time: the row is expanded, its cells read from
/// the nodes as UTF-8 bytes into one buffer that becomes the `SourceRecord`, and the reader
/// skips past it, freeing the row's nodes.
///
/// - `sheet`: a sheet name, or its 1-based position; nil reads the first worksheet.
/// - `headerRow`: the worksheet row (1-based) that holds the header; rows above it are skipped.
///   nil: the first non-empty row.
/// - Header: that row's cell texts, trimmed (trailing empty names dropped).
///   Each later row is aligned to the header's columns by the cells' `r` references (gaps are
///   empty; a cell without `r` is the next column); cells past the header are ignored and
///   fully empty rows skipped. `row` counts data rows; `line` is the worksheet row number.
/// - Values as text, as python-calamine reads them: strings as stored (an inline string's `<is>`,
///   never a stray `<v>` beside it); `TRUE`/`FALSE`; numbers to Excel's 15 significant digits
///   without float noise; numbers in a date or time format as `yyyy-mm-dd`,
///   `yyyy-mm-ddTHH:MM:SS` or `HH:MM:SS` (1900 or 1904 system; a date-only format shows the
///   date, a time-only format the time of day, or the date and time from one day on); in an
///   elapsed-time format (`[h]:mm:ss`, `[mm]:ss`, built-in 46) as a duration `[h]:mm:ss`
///   (`255:10:10`, `-12:00:00`). Formula cells (shared formulas included) give their cached
///   value. Error cells (`#N/A`, `#DIV/0!`) are empty; each is listed in the record's
///   `cellErrors` (the mapper warns, naming the cell); a row of nothing but error cells is an
///   empty row, skipped. An empty shared-string `<v/>` is empty.
/// - Errors end the file with `ReaderError.cannotOpen` and a reason: an old .xls or encrypted
///   workbook, not a zip, a truncated or corrupt archive (inflate error, size or CRC-32
///   mismatch), a zip bomb past `Limits`, XML that is not well-formed, a part with a DOCTYPE,
///   a `headerRow` that is empty or past the end of the sheet. Damage found while the
///   rows are read is reported the same way, by `next()`.
public final class XLSXReader: RecordReader {
    /// Zip bomb limits: per entry, its declared and its actual inflated size; and the
    /// compression ratio once an entry is past `ratioCheckAfterBytes`.
    public struct Limits: Sendable, Equatable {
        public var maxEntryBytes: Int
        public var maxSharedStringsBytes: Int
        public var maxCompressionRatio: Int
        public var ratioCheckAfterBytes: Int

        public init(maxEntryBytes: Int = 1 << 30, maxSharedStringsBytes: Int = 256 << 20,
                    maxCompressionRatio: Int = 200, ratioCheckAfterBytes: Int = 10 << 20) {
            self.maxEntryBytes = maxEntryBytes
            self.maxSharedStringsBytes = maxSharedStringsBytes
            self.maxCompressionRatio = maxCompressionRatio
            self.ratioCheckAfterBytes = ratioCheckAfterBytes
        }

        var zip: ZipLimits {
            ZipLimits(maxEntryBytes: maxEntryBytes, maxRatio: maxCompressionRatio, ratioCheckAfterBytes: ratioCheckAfterBytes)
        }
    }

    public let path: String
    public private(set) var header: [String] = []
    public private(set) var notices: [String] = []
    /// The workbook's sheet names, in order.
    public let sheetNames: [String]
    /// The sheet being read.
    public let sheetName: String
    /// The workbook counts dates from 1904 (`<workbookPr date1904="1"/>`).
    public let date1904: Bool
    /// The worksheet row of the header (`source.header_row`); nil: the first non-empty row.
    public let headerRow: Int?

    private let archive: ZipArchive
    private let part: XLSXPartReader
    private let sharedStrings: XLSXSharedStrings
    private let styles: XLSXStyles

    // Names as libxml2 interns them: compared by address.
    private let rowName, cellName, valueName, inlineName, textName, refName, styleName: UnsafePointer<xmlChar>

    // The row being read: cell texts in `arena`; column c's text is arena[start[c] ..< start[c] + length[c]]
    // when stamp[c] == rowStamp (no clearing between rows).
    private let arena = XLSXByteBuffer(capacity: 16 * 1024)
    private let cellValue = XLSXByteBuffer(capacity: 1024)
    private var slotStart: UnsafeMutablePointer<Int32>
    private var slotLength: UnsafeMutablePointer<Int32>
    private var slotStamp: UnsafeMutablePointer<UInt32>
    private var slotCapacity = 0
    private var rowStamp: UInt32 = 0
    /// Columns read per row: all (up to Excel's 16,384) for the header, then the header's.
    private var width = XLSXReader.maxColumns
    private var sheetRow = 0
    private var dataRow = 0
    private var finished = false
    /// The error cells of the row being read (rare: empty for almost every row).
    private var rowErrors: [CellError] = []
    /// The reader already stands on the next node (skipping a row moves it there).
    private var positioned = false

    static let maxColumns = 16384

    public init(path: String, sheet: String? = nil, headerRow: Int? = nil, limits: Limits = Limits()) throws {
        self.path = path
        self.headerRow = headerRow
        let archive = try ZipArchive(path: path)
        self.archive = archive
        let workbook = try XLSXWorkbook(archive: archive, limits: limits)
        sheetNames = workbook.sheets.map(\.name)
        date1904 = workbook.date1904
        let chosen = try workbook.sheet(named: sheet)
        sheetName = chosen.name
        if sheet == nil && workbook.sheets.count > 1 {
            notices.append("the workbook has \(workbook.sheets.count) sheets; reading the first, \"\(chosen.name)\" (set `sheet:` in the source to read another)")
        }

        if let name = workbook.stylesPart, let entry = archive.entry(named: name) {
            styles = try XLSXStyles(part: XLSXPartReader(stream: archive.stream(entry, limits: limits.zip)))
        } else {
            styles = XLSXStyles()
        }
        if let name = workbook.sharedStringsPart, let entry = archive.entry(named: name) {
            var stringLimits = limits.zip
            stringLimits.maxEntryBytes = limits.maxSharedStringsBytes
            sharedStrings = try XLSXSharedStrings(part: XLSXPartReader(stream: archive.stream(entry, limits: stringLimits), readAhead: true))
        } else {
            sharedStrings = XLSXSharedStrings()
        }
        guard let sheetEntry = archive.entry(named: chosen.part) else {
            throw archive.fail("the sheet \"\(chosen.name)\" (\(chosen.part)) is missing from the archive")
        }
        part = try XLSXPartReader(stream: archive.stream(sheetEntry, limits: limits.zip), readAhead: true)
        rowName = part.intern("row")
        cellName = part.intern("c")
        valueName = part.intern("v")
        inlineName = part.intern("is")
        textName = part.intern("t")
        refName = part.intern("r")
        styleName = part.intern("s")

        slotCapacity = 64
        slotStart = .allocate(capacity: slotCapacity)
        slotLength = .allocate(capacity: slotCapacity)
        slotStamp = .allocate(capacity: slotCapacity)
        slotStamp.initialize(repeating: 0, count: slotCapacity)

        try readHeader()
    }

    deinit {
        slotStart.deallocate()
        slotLength.deallocate()
        slotStamp.deallocate()
    }

    // MARK: - Rows

    private func readHeader() throws {
        while try readRow() {
            if let headerRow {
                if sheetRow < headerRow { continue }
                if sheetRow > headerRow || lastFilledColumn() < 0 {
                    throw archive.fail("source.header_row is \(headerRow), but row \(headerRow) of the sheet \"\(sheetName)\" is empty")
                }
            }
            let count = lastFilledColumn() + 1
            if count == 0 { continue }
            var names: [String] = []
            names.reserveCapacity(count)
            for column in 0..<count { names.append(trimmedText(column)) }
            while names.last?.isEmpty == true { names.removeLast() }
            if names.isEmpty { continue }
            header = names
            width = names.count
            var seen: [String: [Int]] = [:]
            for (index, name) in names.enumerated() where !name.isEmpty { seen[name, default: []].append(index + 1) }
            if let duplicate = names.first(where: { (seen[$0]?.count ?? 0) > 1 }) {
                throw ReaderError.duplicateHeader(path: path, name: duplicate, columns: seen[duplicate]!)
            }
            return
        }
        if let headerRow {
            throw archive.fail("source.header_row is \(headerRow), but the sheet \"\(sheetName)\" ends at row \(sheetRow)")
        }
    }

    public func next() throws -> ReadResult? {
        while try readRow() {
            // The record: one byte buffer and its field ends, in column order.
            let columns = width
            var total = 0
            var filled = false
            for column in 0..<columns where slotStamp[column] == rowStamp {
                total &+= Int(slotLength[column])
                filled = true
            }
            if !filled { continue }
            let base = arena.base
            let bytes = [UInt8](unsafeUninitializedCapacity: total) { buffer, initialized in
                var at = 0
                for column in 0..<columns where slotStamp[column] == rowStamp {
                    let length = Int(slotLength[column])
                    (buffer.baseAddress! + at).update(from: base + Int(slotStart[column]), count: length)
                    at &+= length
                }
                initialized = total
            }
            let fieldEnds = [Int32](unsafeUninitializedCapacity: columns) { buffer, initialized in
                var at: Int32 = 0
                for column in 0..<columns {
                    if slotStamp[column] == rowStamp { at &+= slotLength[column] }
                    buffer[column] = at
                }
                initialized = columns
            }
            dataRow += 1
            var record = SourceRecord(row: dataRow, line: sheetRow, bytes: bytes, fieldEnds: fieldEnds)
            if !rowErrors.isEmpty { record.cellErrors = rowErrors }
            return .record(record)
        }
        return nil
    }

    /// Reads the next `<row>`, leaving its non-empty cells in the slots; false at the end of
    /// the sheet. The row is expanded (libxml2 parses its subtree) and its cells read straight
    /// from the nodes, then the reader skips past it: far fewer calls than visiting each node.
    private func readRow() throws -> Bool {
        let reader = part.reader
        while true {
            if finished { return false }
            let status = positioned ? 1 : xmlTextReaderRead(reader)
            positioned = false
            if status != 1 {
                if status == 0 && part.parseError == nil && part.inputFailure == nil {
                    finished = true
                    return false
                }
                throw part.failure()
            }
            let type = xmlTextReaderNodeType(reader)
            guard type == XMLNodeType.element, xmlTextReaderConstLocalName(reader) == rowName else {
                if type == XMLNodeType.documentType { throw part.documentTypeRefusal() }
                continue
            }
            guard let row = xmlTextReaderExpand(reader) else { throw part.failure() }
            rowStamp &+= 1
            if rowStamp == 0 {
                // Wrapped: clear the stamps so no old slot passes for this row's.
                slotStamp.update(repeating: 0, count: slotCapacity)
                rowStamp = 1
            }
            arena.count = 0
            if !rowErrors.isEmpty { rowErrors.removeAll() }
            var number = sheetRow + 1
            if let text = XLSXReader.attribute(row, refName) {
                let parsed = XLSXReader.integer(text)
                if parsed > 0 { number = parsed }
            }
            sheetRow = number
            try readCells(of: row)
            // Past the row's end: the reader stops on the node after it.
            let moved = xmlTextReaderNext(reader)
            if moved == 1 {
                positioned = true
            } else if moved == 0 && part.parseError == nil && part.inputFailure == nil {
                finished = true
            } else {
                throw part.failure()
            }
            return true
        }
    }

    /// The cells of an expanded `<row>` into the slots.
    private func readCells(of row: xmlNodePtr) throws {
        let cellName = cellName, valueName = valueName, inlineName = inlineName, textName = textName
        let refName = refName, styleName = styleName
        let value = cellValue
        let columns = width
        var lastColumn = -1
        var node = row.pointee.children
        while let cell = node {
            node = cell.pointee.next
            guard cell.pointee.type == XML_ELEMENT_NODE, cell.pointee.name == cellName else { continue }
            var column = -1
            var cellType = CellType.number
            var style = 0
            var attribute = cell.pointee.properties
            while let current = attribute {
                attribute = current.pointee.next
                guard let text = current.pointee.children?.pointee.content else { continue }
                let name = current.pointee.name
                if name == refName {
                    column = XLSXReader.column(ofReference: text)
                } else if name == textName {
                    cellType = CellType(UnsafePointer(text))
                } else if name == styleName {
                    style = XLSXReader.integer(text)
                }
            }
            if column < 0 { column = lastColumn + 1 }
            lastColumn = column
            guard column < columns else { continue }
            value.count = 0
            var hasValue = false
            var child = cell.pointee.children
            while let element = child {
                child = element.pointee.next
                guard element.pointee.type == XML_ELEMENT_NODE else { continue }
                if element.pointee.name == valueName {
                    // An inline string's text is its `<is>`: a `<v>` beside it is not read.
                    if cellType == .inline { continue }
                    XLSXReader.appendText(of: element, to: value)
                    hasValue = true
                } else if element.pointee.name == inlineName {
                    // `r` as an element is a rich-text run; the name is the same interned string.
                    XLSXReader.appendInlineText(of: element, textName: textName, runName: refName, to: value)
                    hasValue = true
                }
            }
            if hasValue { try store(column: column, type: cellType, style: style) }
        }
    }

    /// The text children of `element` (text and CDATA nodes), appended.
    @inline(__always)
    private static func appendText(of element: xmlNodePtr, to out: XLSXByteBuffer) {
        var child = element.pointee.children
        while let text = child {
            child = text.pointee.next
            let type = text.pointee.type
            guard type == XML_TEXT_NODE || type == XML_CDATA_SECTION_NODE, let content = text.pointee.content else { continue }
            let length = XLSXPartReader.length(content)
            if length == 1 { out.append(content[0]) } else { out.append(content, length) }
        }
    }

    /// An inline string: its `<t>`, or its runs' `<r><t>` texts; phonetic runs (`rPh`) left out.
    private static func appendInlineText(of element: xmlNodePtr, textName: UnsafePointer<xmlChar>, runName: UnsafePointer<xmlChar>,
                                         to out: XLSXByteBuffer) {
        var child = element.pointee.children
        while let node = child {
            child = node.pointee.next
            guard node.pointee.type == XML_ELEMENT_NODE else { continue }
            if node.pointee.name == textName {
                appendText(of: node, to: out)
            } else if node.pointee.name == runName {
                var run = node.pointee.children
                while let part = run {
                    run = part.pointee.next
                    if part.pointee.type == XML_ELEMENT_NODE && part.pointee.name == textName { appendText(of: part, to: out) }
                }
            }
        }
    }

    /// The value of `element`'s attribute with the interned local name `name`.
    @inline(__always)
    private static func attribute(_ element: xmlNodePtr, _ name: UnsafePointer<xmlChar>) -> UnsafePointer<xmlChar>? {
        var attribute = element.pointee.properties
        while let current = attribute {
            if current.pointee.name == name, let text = current.pointee.children?.pointee.content { return UnsafePointer(text) }
            attribute = current.pointee.next
        }
        return nil
    }

    private enum CellType {
        case number, shared, string, inline, boolean, error, date

        init(_ text: UnsafePointer<xmlChar>) {
            switch (text[0], text[0] == 0 ? 0 : text[1]) {
            case (UInt8(ascii: "s"), 0): self = .shared
            case (UInt8(ascii: "s"), UInt8(ascii: "t")): self = .string
            case (UInt8(ascii: "i"), _): self = .inline
            case (UInt8(ascii: "b"), _): self = .boolean
            case (UInt8(ascii: "e"), _): self = .error
            case (UInt8(ascii: "d"), _): self = .date
            default: self = .number
            }
        }
    }

    /// Converts the current cell's collected text and puts it in column `column`'s slot.
    private func store(column: Int, type: CellType, style: Int) throws {
        if column >= slotCapacity { growSlots(column + 1) }
        let value = cellValue
        let out = arena
        let start = out.count
        let text = value.base
        let length = value.count
        switch type {
        case .shared:
            if length == 0 { break }
            let index = XLSXCellText.parseDouble(text, length).map { Int(exactly: $0) ?? -1 } ?? -1
            guard let string = sharedStrings.string(at: index) else {
                throw archive.fail("\(part.partName), row \(sheetRow): a cell refers to shared string \(String(decoding: UnsafeBufferPointer(start: text, count: length), as: UTF8.self)), but the workbook has \(sharedStrings.count)")
            }
            if string.count > 0 { out.append(string.baseAddress!, string.count) }
        case .number:
            if length == 0 { break }
            let kind = styles.kind(ofStyle: style)
            if kind == .none {
                XLSXCellText.appendNumber(text, length, to: out)
            } else {
                XLSXCellText.appendDate(text, length, kind: kind, date1904: date1904, to: out)
            }
        case .string, .inline:
            out.append(text, length)
            XLSXCellText.decodeEscapes(in: out, from: start)
        case .boolean:
            if length == 1 && text[0] == UInt8(ascii: "1") {
                out.append("TRUE")
            } else if length == 1 && text[0] == UInt8(ascii: "0") {
                out.append("FALSE")
            } else {
                out.append(text, length)
            }
        case .error:
            // Empty, as python-calamine reads it; the record names the cell.
            if length > 0 {
                rowErrors.append(CellError(column: column, cell: XLSXReader.reference(column: column, row: sheetRow),
                                           value: String(decoding: UnsafeBufferPointer(start: text, count: length), as: UTF8.self)))
            }
        case .date:
            // ISO 8601 as stored; a midnight time is dropped, as for serial dates.
            var end = length
            for suffix in ["T00:00:00Z", "T00:00:00.000", "T00:00:00"] where XLSXReader.hasSuffix(text, end, suffix) {
                end -= suffix.utf8.count
                break
            }
            out.append(text, end)
        }
        let count = out.count - start
        if count == 0 { return }
        slotStart[column] = Int32(truncatingIfNeeded: start)
        slotLength[column] = Int32(truncatingIfNeeded: count)
        slotStamp[column] = rowStamp
    }

    private func growSlots(_ needed: Int) {
        var capacity = slotCapacity
        while capacity < needed { capacity *= 2 }
        let start = UnsafeMutablePointer<Int32>.allocate(capacity: capacity)
        let length = UnsafeMutablePointer<Int32>.allocate(capacity: capacity)
        let stamp = UnsafeMutablePointer<UInt32>.allocate(capacity: capacity)
        start.update(from: slotStart, count: slotCapacity)
        length.update(from: slotLength, count: slotCapacity)
        stamp.update(from: slotStamp, count: slotCapacity)
        (stamp + slotCapacity).initialize(repeating: 0, count: capacity - slotCapacity)
        slotStart.deallocate()
        slotLength.deallocate()
        slotStamp.deallocate()
        slotStart = start
        slotLength = length
        slotStamp = stamp
        slotCapacity = capacity
    }

    private func lastFilledColumn() -> Int {
        var last = -1
        for column in 0..<min(slotCapacity, width) where slotStamp[column] == rowStamp { last = column }
        return last
    }

    private func trimmedText(_ column: Int) -> String {
        guard column < slotCapacity, slotStamp[column] == rowStamp else { return "" }
        let text = String(decoding: UnsafeBufferPointer(start: arena.base + Int(slotStart[column]), count: Int(slotLength[column])),
                          as: UTF8.self)
        return text.trimmingBlanks()
    }

    // MARK: - Small parsers

    /// `B7` for column 1, row 7.
    static func reference(column: Int, row: Int) -> String {
        var letters: [Character] = []
        var n = column + 1
        while n > 0 {
            let digit = (n - 1) % 26
            letters.insert(Character(Unicode.Scalar(UInt8(65 + digit))), at: 0)
            n = (n - 1) / 26
        }
        return String(letters) + String(row)
    }

    /// 0-based column of a cell reference (`B7` → 1), or -1 without letters or past XFD.
    @inline(__always)
    static func column(ofReference text: UnsafePointer<xmlChar>) -> Int {
        var k = 0
        var column = 0
        while true {
            let c = text[k] | 0x20
            guard c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z") else { break }
            column = column &* 26 &+ Int(c &- UInt8(ascii: "a")) &+ 1
            k &+= 1
            if k > 3 { return maxColumns }
        }
        return column == 0 ? -1 : min(column - 1, maxColumns)
    }

    /// A non-negative decimal integer attribute; -1 if it is not one.
    @inline(__always)
    static func integer(_ text: UnsafePointer<xmlChar>) -> Int {
        var k = 0
        var value = 0
        while text[k] &- UInt8(ascii: "0") < 10 && k < 12 {
            value = value &* 10 &+ Int(text[k] &- UInt8(ascii: "0"))
            k &+= 1
        }
        return k == 0 || text[k] != 0 ? -1 : value
    }

    private static func hasSuffix(_ text: UnsafePointer<UInt8>, _ length: Int, _ suffix: String) -> Bool {
        let bytes = Array(suffix.utf8)
        guard length >= bytes.count else { return false }
        for k in 0..<bytes.count where text[length - bytes.count + k] != bytes[k] { return false }
        return true
    }
}

// MARK: - Workbook

/// `xl/workbook.xml` and its relationships: the sheets in order, the date system, and where
/// the styles and shared strings are.
struct XLSXWorkbook {
    struct Sheet {
        let name: String
        /// The worksheet's zip entry name (`xl/worksheets/sheet1.xml`).
        let part: String
        /// A worksheet (not a chart sheet or dialog sheet).
        let isWorksheet: Bool
    }

    var sheets: [Sheet] = []
    var date1904 = false
    var stylesPart: String?
    var sharedStringsPart: String?
    let archive: ZipArchive

    init(archive: ZipArchive, limits: XLSXReader.Limits) throws {
        self.archive = archive
        // The package's root relationships name the workbook part.
        var workbookPart = "xl/workbook.xml"
        if let rootRelations = try XLSXWorkbook.relationships(archive, of: "", limits: limits),
           let office = rootRelations.values.first(where: { $0.type.hasSuffix("/officeDocument") }) {
            workbookPart = office.target
        }
        guard let workbookEntry = archive.entry(named: workbookPart) else {
            if archive.entry(named: "mimetype") != nil || archive.entry(named: "content.xml") != nil {
                throw archive.fail("an OpenDocument spreadsheet (.ods), not an XLSX workbook: save it as .xlsx")
            }
            if archive.entry(named: "word/document.xml") != nil {
                throw archive.fail("a Word document, not an XLSX workbook")
            }
            throw archive.fail("not an XLSX workbook: the zip archive has no \(workbookPart)")
        }
        let relations = try XLSXWorkbook.relationships(archive, of: workbookPart, limits: limits) ?? [:]
        stylesPart = relations.values.first { $0.type.hasSuffix("/styles") }?.target
        sharedStringsPart = relations.values.first { $0.type.hasSuffix("/sharedStrings") }?.target
        let folder = XLSXWorkbook.folder(of: workbookPart)
        if stylesPart == nil { stylesPart = folder + "styles.xml" }
        if sharedStringsPart == nil { sharedStringsPart = folder + "sharedStrings.xml" }

        let part = try XLSXPartReader(stream: archive.stream(workbookEntry, limits: limits.zip))
        let sheetName = part.intern("sheet")
        let propertiesName = part.intern("workbookPr")
        while try part.read() {
            guard part.nodeType == XMLNodeType.element, let name = part.localName else { continue }
            if name == propertiesName {
                let value = part.attributes()["date1904"]
                date1904 = value == "1" || value == "true"
            } else if name == sheetName {
                let attributes = part.attributes()
                let sheet = attributes["name"] ?? "Sheet\(sheets.count + 1)"
                // `r:id`; minimal writers leave the prefix out.
                let relation = (attributes[":id"] ?? attributes["id"]).flatMap { relations[$0] }
                let target = relation?.target ?? "\(folder)worksheets/sheet\(sheets.count + 1).xml"
                let isWorksheet = relation.map { $0.type.hasSuffix("/worksheet") } ?? true
                sheets.append(Sheet(name: sheet, part: target, isWorksheet: isWorksheet))
            }
        }
        if sheets.isEmpty { throw archive.fail("the workbook has no sheets") }
    }

    /// The sheet a source names: by name (exactly, else ignoring case), else by 1-based
    /// position; nil is the first worksheet.
    func sheet(named wanted: String?) throws -> Sheet {
        let chosen: Sheet
        if let wanted {
            let trimmed = wanted.trimmingBlanks()
            if let byName = sheets.first(where: { $0.name == wanted }) ?? sheets.first(where: { $0.name == trimmed })
                ?? sheets.first(where: { $0.name.lowercased() == trimmed.lowercased() }) {
                chosen = byName
            } else if let index = Int(trimmed), index >= 1, index <= sheets.count {
                chosen = sheets[index - 1]
            } else {
                let names = sheets.map { "\"\($0.name)\"" }.joined(separator: ", ")
                let number = Int(trimmed) != nil ? " (by number: 1 to \(sheets.count))" : ""
                throw archive.fail("no sheet \"\(wanted)\" in the workbook\(number); its sheets are \(names)")
            }
        } else {
            chosen = sheets.first(where: \.isWorksheet) ?? sheets[0]
        }
        guard chosen.isWorksheet else {
            throw archive.fail("the sheet \"\(chosen.name)\" is a chart or dialog sheet, not a worksheet")
        }
        return chosen
    }

    struct Relation {
        let type: String
        let target: String
    }

    /// The relationships of `part` (`xl/workbook.xml` → `xl/_rels/workbook.xml.rels`; "" → the
    /// package's `_rels/.rels`), by id, targets resolved to entry names; nil if there are none.
    static func relationships(_ archive: ZipArchive, of part: String, limits: XLSXReader.Limits) throws -> [String: Relation]? {
        let folder = folder(of: part)
        let file = String(part.dropFirst(folder.count))
        guard let entry = archive.entry(named: folder + "_rels/" + file + ".rels") else { return nil }
        let reader = try XLSXPartReader(stream: archive.stream(entry, limits: limits.zip))
        let relationship = reader.intern("Relationship")
        var result: [String: Relation] = [:]
        while try reader.read() {
            guard reader.nodeType == XMLNodeType.element, reader.localName == relationship else { continue }
            let attributes = reader.attributes()
            guard let id = attributes["Id"], let target = attributes["Target"] else { continue }
            if attributes["TargetMode"] == "External" { continue }
            result[id] = Relation(type: attributes["Type"] ?? "", target: resolve(target, in: folder))
        }
        return result
    }

    static func folder(of part: String) -> String {
        guard let slash = part.lastIndex(of: "/") else { return "" }
        return String(part[...slash])
    }

    /// A relationship target as a zip entry name: absolute (`/xl/...`) or relative to `folder`.
    static func resolve(_ target: String, in folder: String) -> String {
        let joined = target.hasPrefix("/") ? String(target.dropFirst()) : folder + target
        var parts: [Substring] = []
        for piece in joined.split(separator: "/", omittingEmptySubsequences: true) {
            if piece == "." { continue }
            if piece == ".." { _ = parts.popLast(); continue }
            parts.append(piece)
        }
        return parts.joined(separator: "/")
    }
}

extension String {
    /// Without leading and trailing whitespace.
    fileprivate func trimmingBlanks() -> String {
        var scalars = Substring(self).unicodeScalars
        while let first = scalars.first, first.properties.isWhitespace { scalars.removeFirst() }
        while let last = scalars.last, last.properties.isWhitespace { scalars.removeLast() }
        return String(scalars)
    }
}

// MARK: - As a pipeline's reader

extension XLSXReader: ReaderComponent {
    public struct SourceOptions: ReaderOptions {
        /// By name or 1-based index; nil: the first sheet.
        public var sheet: String?
        /// The worksheet row (1-based) holding the header; nil: the first non-empty row.
        public var headerRow: Int?
        public var readsSequentially: Bool { false }
    }

    public static let extensions = ["xlsx", "xlsm"]

    public static let spec = ComponentSpec(.reader, "xlsx",
        summary: "Excel workbooks (.xlsx, .xlsm), streamed: zip + zlib + libxml2's reader; reads what python-calamine reads.",
        options: [
            OptionSpec("sheet", .string, default: "the first sheet", help: "The sheet, by name or 1-based index.", example: "Placements"),
            OptionSpec("header_row", .integer(1...1_048_576), default: "the first non-empty row", help: "The worksheet row holding the header.", example: "3"),
        ],
        example: "source:\n  file: ../SampleData/placement.xlsx\n  reader: xlsx\n  sheet: Placements\n  header_row: 1",
        notes: [".xls, encrypted, corrupt or oversized (zip bomb) workbooks, and parts with a DOCTYPE, are refused with a clear error."])

    public static func options(_ section: ConfigSection) throws -> SourceOptions {
        SourceOptions(sheet: try section["sheet"]?.string(), headerRow: try section["header_row"]?.int(in: 1...1_048_576))
    }

    public static func open(path: String, options: SourceOptions, columns: [String]) throws -> any RecordReader {
        try XLSXReader(path: path, sheet: options.sheet, headerRow: options.headerRow)
    }
}
