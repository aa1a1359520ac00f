/// A mapped column that the input file does not have. Found before any call is made.
public struct MissingColumnError: Error, CustomStringConvertible {
    public let file: String
    public let pipelineFile: String
    public let line: Int?
    public let field: String
    public let column: String
    public let closestHeader: String?

    public var description: String {
        let place = line.map { "\(pipelineFile):\($0)" } ?? pipelineFile
        let hint = closestHeader.map { "; the closest header is \"\($0)\"" } ?? ""
        return "\(file): no column \"\(column)\" (mapped to \(field) at \(place))\(hint)"
    }
}

/// Applies the mapping and the normalisers to one source record. The result is a row ready
/// for the writers, or the issues that reject it. Pure and thread-safe.
public struct RowMapper: Sendable {
    // Parallel arrays, one entry per mapped field: iterating an array of structs holding an
    // existential and strings costs retains per field per row.
    let index: FieldIndex
    let columns: [String]
    let columnIndices: [Int]
    let normalizers: [any Normalizer]
    /// The same, called directly for the built-in normalisers (see `CellNormalizer`).
    let cells: [CellNormalizer]
    let dropOnError: [Bool]
    let filenumberPosition: Int
    let clearMarkerBytes: [UInt8]?
    /// `options.no_news_values`: cells that mean "nothing", read as blank.
    let noNews: NoNewsValues
    /// By field position: the field is normalised as a date (its no-news days apply).
    let isDate: [Bool]

    /// Resolves every mapped column against the header: exact first, then ignoring case, spaces
    /// and punctuation (`Social Security #` = `social_security`).
    public init(config: PipelineConfig, header: [String], inputFile: String) throws {
        let keys = header.map(RowMapper.columnKey)
        var columns: [String] = [], columnIndices: [Int] = [], normalizers: [any Normalizer] = [], dropOnError: [Bool] = []
        for mapping in config.mapping {
            guard let column = RowMapper.column(of: mapping, header: header, keys: keys) else {
                throw RowMapper.missing(mapping, config: config, header: header, inputFile: inputFile)
            }
            let normalization = config.normalizations[mapping.field]!
            columns.append(header[column])
            columnIndices.append(column)
            normalizers.append(normalization.normalizer)
            dropOnError.append(normalization.onError == .dropField && mapping.field != "filenumber")
        }
        self.index = FieldIndex(config.mapping.map(\.field))
        self.columns = columns
        self.columnIndices = columnIndices
        self.normalizers = normalizers
        self.cells = normalizers.map(CellNormalizer.init)
        self.dropOnError = dropOnError
        self.filenumberPosition = index.position(of: "filenumber")!
        self.clearMarkerBytes = config.clearMarker.map { Array($0.utf8) }
        self.noNews = config.noNewsValues
        self.isDate = cells.map(\.isDate)
    }

    /// The header position of a mapped column: its name or an alias, exactly, else ignoring case,
    /// spaces and punctuation.
    static func column(of mapping: PipelineConfig.FieldMapping, header: [String], keys: [String]) -> Int? {
        mapping.candidates.map { $0.trimmingCharacters(in: .whitespaces) }.lazy
            .compactMap { wanted in header.firstIndex(of: wanted) ?? keys.firstIndex(of: RowMapper.columnKey(wanted)) }.first
    }

    static func missing(_ mapping: PipelineConfig.FieldMapping, config: PipelineConfig, header: [String], inputFile: String) -> MissingColumnError {
        let candidates = mapping.candidates.map { $0.trimmingCharacters(in: .whitespaces) }
        let closest = candidates.lazy.compactMap { closestMatch(to: $0, in: header) }.first
        return MissingColumnError(file: inputFile, pipelineFile: config.file, line: mapping.line, field: mapping.field,
                                  column: candidates.count > 1 ? candidates.joined(separator: "\" / \"") : candidates[0],
                                  closestHeader: closest)
    }

    /// Every mapped column the header lacks (`validate` names them all, a run stops at the first).
    public static func missingColumns(config: PipelineConfig, header: [String], inputFile: String) -> [MissingColumnError] {
        let keys = header.map(RowMapper.columnKey)
        return config.mapping.filter { column(of: $0, header: header, keys: keys) == nil }
            .map { missing($0, config: config, header: header, inputFile: inputFile) }
    }

    /// The account a record belongs to, even when the row is rejected (nil when blank).
    public func account(of record: SourceRecord) -> String? {
        guard case let .value(filenumber, _) = normalizers[filenumberPosition].normalize(record.value(at: columnIndices[filenumberPosition])) else { return nil }
        return filenumber.uppercased()
    }

    /// A warning for each mapped cell that held an error value (read as empty), naming the cell.
    func cellErrorWarnings(_ errors: [CellError]) -> [RowIssue] {
        errors.flatMap { error in
            columnIndices.indices.filter { columnIndices[$0] == error.column }.map { position in
                RowIssue(.cellError, field: index.fields[position],
                         "\(columns[position]) (cell \(error.cell)): the error value \(error.value) is read as empty")
            }
        }
    }

    /// The header position of the column a field is read from.
    public func sourceColumn(of field: String) -> Int? {
        index.position(of: field).map { columnIndices[$0] }
    }

    static func columnKey(_ name: String) -> String {
        String(name.lowercased().unicodeScalars.filter { CharacterSet.alphanumerics.contains($0) }.map(Character.init))
    }

    public enum Outcome: Sendable {
        case row(NormalizedRow)
        /// The first issue is the reason; all issues are named in the reject line's message.
        case rejected(issues: [RowIssue], warnings: [RowIssue])
    }

    /// `raw` is exactly `marker` once surrounding spaces and tabs are dropped. Byte-wise: this
    /// runs for every mapped cell of every row.
    static func isMarker(_ raw: String, _ marker: String) -> Bool {
        var copy = raw
        return copy.withUTF8 { isMarker($0, Array(marker.utf8)) }
    }

    /// `bytes` is exactly `marker` once surrounding spaces and tabs are dropped.
    static func isMarker(_ bytes: UnsafeBufferPointer<UInt8>, _ marker: [UInt8]) -> Bool {
        var start = 0, end = bytes.count
        while start < end, bytes[start] == 32 || bytes[start] == 9 { start += 1 }
        while end > start, bytes[end - 1] == 32 || bytes[end - 1] == 9 { end -= 1 }
        guard end - start == marker.count else { return false }
        for i in 0..<marker.count where bytes[start + i] != marker[i] { return false }
        return true
    }

    public func map(_ record: SourceRecord) -> Outcome {
        let count = columnIndices.count
        var slots = [FieldValue?](unsafeUninitializedCapacity: count) { buffer, initialized in
            buffer.initialize(repeating: nil)
            initialized = count
        }
        var issues: [RowIssue] = []
        var warnings: [RowIssue] = []
        // The row's bytes and field ends are opened once for all its cells.
        record.bytes.withUnsafeBufferPointer { row in
            record.fieldEnds.withUnsafeBufferPointer { ends in
                for position in 0..<count {
                    let cell = RowMapper.cell(columnIndices[position], row, ends)
                    // The clear marker first (it wins over the no-news list), then "nothing" values.
                    if let clearMarkerBytes, RowMapper.isMarker(cell, clearMarkerBytes) {
                        slots[position] = .clear
                        continue
                    }
                    if noNews.matches(cell) { continue }
                    switch normalize(cell, at: position) {
                    case .blank:
                        continue
                    case let .value(value, warning):
                        // A no-news day in a date field is blank too.
                        if isDate[position], noNews.isNoNewsDay(value) { continue }
                        slots[position] = .value(value)
                        if let warning { warnings.append(RowIssue(warning.code, field: index.fields[position], "\(columns[position]): \(warning.message)")) }
                    case let .invalid(reason, message):
                        let issue = RowIssue(reason, field: index.fields[position], RowMapper.issueMessage(columns[position], cell, message))
                        if dropOnError[position] {
                            warnings.append(RowIssue(.fieldDropped, field: issue.field, "\(issue.message) — field dropped, row kept"))
                        } else {
                            issues.append(issue)
                        }
                    }
                }
            }
        }
        return finish(record, slots: slots, issues: issues, warnings: warnings)
    }

    /// `Column "raw value": message`, built in one allocation (an interpolation grows its
    /// string several times; nearly half the rows of a messy file have such a message).
    static func issueMessage(_ column: String, _ raw: UnsafeBufferPointer<UInt8>, _ message: String) -> String {
        var text = ""
        text.reserveCapacity(column.utf8.count + raw.count + message.utf8.count + 4)
        text += column
        text += " \""
        text += String(decoding: raw, as: UTF8.self)
        text += "\": "
        text += message
        return text
    }

    /// The bytes of field `column` of a row (empty when the row has fewer fields).
    @inline(__always)
    static func cell(_ column: Int, _ row: UnsafeBufferPointer<UInt8>, _ ends: UnsafeBufferPointer<Int32>) -> UnsafeBufferPointer<UInt8> {
        guard column >= 0, column < ends.count else { return UnsafeBufferPointer(start: nil, count: 0) }
        let start = column == 0 ? 0 : Int(ends[column - 1])
        return UnsafeBufferPointer(rebasing: row[start..<Int(ends[column])])
    }

    /// One mapped cell through its field's normaliser: a built-in one directly, any other
    /// through the protocol.
    @inline(__always)
    func normalize(_ bytes: UnsafeBufferPointer<UInt8>, at position: Int) -> Normalized {
        let cell = cells[position]
        if case .other = cell { return normalizers[position].normalize(utf8: bytes) }
        return cell.normalize(utf8: bytes)
    }

    /// The row, or its rejection: a blank or bad file number first, then the other issues.
    func finish(_ record: SourceRecord, slots: [FieldValue?], issues: [RowIssue], warnings: [RowIssue]) -> Outcome {
        var issues = issues, warnings = warnings
        if !record.cellErrors.isEmpty { warnings += cellErrorWarnings(record.cellErrors) }
        guard case let .value(filenumber)? = slots[filenumberPosition] else {
            issues.insert(RowIssue(.missingFilenumber, field: "filenumber", "\(columns[filenumberPosition]) is blank: no account to write to"), at: 0)
            return .rejected(issues: issues, warnings: warnings)
        }
        guard FileNumberRule.isValid(filenumber) else {
            issues.insert(RowIssue(.invalidFilenumber, field: "filenumber",
                                   "\(columns[filenumberPosition]) \"\(filenumber)\" is not a file number (\(FileNumberRule.description)): no call was made"), at: 0)
            return .rejected(issues: issues, warnings: warnings)
        }
        guard issues.isEmpty else { return .rejected(issues: issues, warnings: warnings) }
        return .row(NormalizedRow(record: record, filenumber: RowMapper.asciiUppercased(filenumber), index: index, slots: slots, warnings: warnings))
    }

    /// `text.uppercased()` for ASCII text (a valid file number is ASCII), in one small copy.
    static func asciiUppercased(_ text: String) -> String {
        var copy = text
        return copy.withUTF8 { p in
            guard p.contains(where: { $0 >= 0x80 }) == false else { return text.uppercased() }
            return TextNormalizer.makeASCII(count: p.count) { out in
                for i in 0..<p.count { out[i] = p[i] &- 0x61 < 26 ? p[i] - 0x20 : p[i] }
            }
        }
    }
}

import Foundation
