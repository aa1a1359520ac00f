import Foundation
import ScollectTestSupport
import Testing
@testable import ScollectETL

// Fixtures: Tests/Fixtures/xlsx, made by make_fixtures.py there (LibreOffice, openpyxl and
// hand-written XML).

private func fixture(_ name: String) -> String { repositoryPath("Tests/Fixtures/xlsx/" + name) }

private struct Row: Equatable, CustomStringConvertible {
    let row: Int
    let line: Int
    let values: [String]
    var description: String { "row \(row), line \(line): \(values)" }
}

private func read(_ name: String, sheet: String? = nil, limits: XLSXReader.Limits = .init()) throws -> (header: [String], rows: [Row]) {
    let reader = try XLSXReader(path: fixture(name), sheet: sheet, limits: limits)
    var rows: [Row] = []
    while let result = try reader.next() {
        guard case let .record(record) = result else {
            Issue.record("unexpected \(result)")
            continue
        }
        #expect(record.count == reader.header.count)
        rows.append(Row(row: record.row, line: record.line, values: record.values))
    }
    #expect(try reader.next() == nil)
    return (reader.header, rows)
}

/// The reason of the `cannotOpen` error opening (and reading) a fixture throws.
private func failure(_ name: String, sheet: String? = nil, limits: XLSXReader.Limits = .init()) -> String {
    do {
        let reader = try XLSXReader(path: fixture(name), sheet: sheet, limits: limits)
        while try reader.next() != nil {}
        return "no error"
    } catch let ReaderError.cannotOpen(path, reason) {
        #expect(path == fixture(name))
        return reason
    } catch {
        return "other error: \(error)"
    }
}

@Suite("XLSXReader")
struct XLSXReaderTests {
    // MARK: - Values

    @Test func handMadeWorkbookValuesPerCell() throws {
        let (header, rows) = try read("handmade.xlsx")
        // Trimmed; the trailing empty header cells (an empty shared string, a styled blank) dropped.
        #expect(header == ["Name", "Value", "When", "Kind", "Extra"])
        #expect(rows == [
            // Rich-text runs joined, the phonetic guide left out; float noise gone; serial 60 is
            // Excel's 1900-02-29; an error cell empty (as python-calamine reads it); a formula's
            // cached string.
            Row(row: 1, line: 2, values: ["José ", "0.3", "1900-02-29", "", "007"]),
            // Cells without `r` take the next column; _x000D_ decoded; a date-time format; booleans.
            Row(row: 2, line: 3, values: ["line\rbreak", "0.0015", "2023-03-15T12:00:00", "TRUE", "FALSE"]),
            // Leading zeros kept in text; a gap; a time-only format; number formats that are not
            // dates; a cell past the header ignored. Rows 4, 6 (empty) and 7 (blank cells) skipped.
            Row(row: 3, line: 5, values: ["00123", "", "18:00:00", "3", "-1234.5"]),
            // 15 significant digits; -0; both sides of the 1900 leap-year bug; a t="d" cell.
            Row(row: 4, line: 8, values: ["12345678901234600000", "0", "1900-02-28", "1900-03-01", "2024-02-29"]),
            // _x005F_ is an underscore; a huge number in E notation; midnight in a date-time
            // format gives the date alone; trailing zeros dropped.
            Row(row: 5, line: 9, values: ["tab\tand_x0041_", "1E+21", "2023-03-15", "0.1", "100"]),
        ])
    }

    @Test func libreOfficeWorkbook() throws {
        let (header, rows) = try read("libreoffice.xlsx")
        #expect(header == ["Account Number", "Zip", "Balance", "Open Date", "Paid At", "Notes", "Double"])
        #expect(rows == [
            Row(row: 1, line: 2, values: ["R001", "02903", "1234.5", "2020-01-15", "2020-01-15T13:45:30", "first, \"quoted\"", "2469"]),
            Row(row: 2, line: 3, values: ["R002", "00501", "45000", "1999-12-31", "", "", "0.3"]),
            Row(row: 3, line: 5, values: ["R003", "", "-0.5", "1900-03-01", "2021-06-30", "007", ""]),
        ])
    }

    @Test func openpyxlWorkbook() throws {
        let (header, rows) = try read("openpyxl.xlsx")
        #expect(header == ["Account", "Zip", "Amount", "Opened", "Paid", "Active", "Note", "Total"])
        #expect(rows == [
            Row(row: 1, line: 2, values: ["R001", "02903", "1234.5", "2020-01-15", "2021-06-30T13:45:30", "TRUE", "rich text", "2469"]),
            Row(row: 2, line: 3, values: ["R002", "00501", "45000", "1999-12-31", "2021-07-01", "FALSE", "shared", "90000"]),
            // B4, D4, F4 and H4 are not in the file: the gap in `r` leaves them empty.
            Row(row: 3, line: 4, values: ["R003", "", "0.3", "", "2022-02-28", "", "shared", ""]),
        ])
    }

    @Test func workbookIn1904DateSystemGivesTheSameDates() throws {
        let reader = try XLSXReader(path: fixture("openpyxl-1904.xlsx"))
        #expect(reader.date1904)
        #expect(try XLSXReader(path: fixture("openpyxl.xlsx")).date1904 == false)
        let (_, rows1904) = try read("openpyxl-1904.xlsx")
        let (_, rows1900) = try read("openpyxl.xlsx")
        #expect(rows1904 == rows1900)
    }

    @Test func recordBytesAndFieldEnds() throws {
        let reader = try XLSXReader(path: fixture("libreoffice.xlsx"))
        guard case let .record(record)? = try reader.next() else { Issue.record("expected a record"); return }
        #expect(record.count == 7)
        #expect(record.byteCount(at: 1) == 5)
        #expect(record.withValueBytes(at: 1) { Array($0) } == Array("02903".utf8))
    }

    // MARK: - Sheets

    @Test(arguments: [("Other", "Other"), ("2", "Other"), (" other ", "Other"), ("1", "Data"), ("Data", "Data")])
    func sheetByNameOrIndex(wanted: String, expected: String) throws {
        let reader = try XLSXReader(path: fixture("handmade.xlsx"), sheet: wanted)
        #expect(reader.sheetName == expected)
        #expect(reader.sheetNames == ["Data", "Other"])
    }

    @Test func secondSheetWithPrefixedNamespace() throws {
        let (header, rows) = try read("handmade.xlsx", sheet: "Other")
        #expect(header == ["id", "note"])
        #expect(rows == [Row(row: 1, line: 2, values: ["7", "<prefixed> & fine"])])
    }

    @Test func libreOfficeSecondSheetByIndex() throws {
        let (header, rows) = try read("libreoffice.xlsx", sheet: "2")
        #expect(header == ["note"])
        #expect(rows == [Row(row: 1, line: 2, values: ["second sheet"])])
        let (openpyxlHeader, openpyxlRows) = try read("openpyxl.xlsx", sheet: "Second")
        #expect(openpyxlHeader == ["code"])
        #expect(openpyxlRows == [Row(row: 1, line: 2, values: ["0042"])])
    }

    @Test func firstSheetByDefaultWithANotice() throws {
        let reader = try XLSXReader(path: fixture("libreoffice.xlsx"))
        #expect(reader.sheetName == "Accounts")
        #expect(reader.notices == ["the workbook has 2 sheets; reading the first, \"Accounts\" (set `sheet:` in the source to read another)"])
        #expect(try XLSXReader(path: fixture("libreoffice.xlsx"), sheet: "Accounts").notices.isEmpty)
    }

    @Test func unknownSheetListsTheSheets() {
        #expect(failure("handmade.xlsx", sheet: "Accounts") == "no sheet \"Accounts\" in the workbook; its sheets are \"Data\", \"Other\"")
        #expect(failure("handmade.xlsx", sheet: "3") == "no sheet \"3\" in the workbook (by number: 1 to 2); its sheets are \"Data\", \"Other\"")
        #expect(failure("handmade.xlsx", sheet: "0").hasPrefix("no sheet \"0\""))
    }

    @Test func registryOpensXLSXByExtensionWithTheSheetKey() throws {
        let entry = try #require(ReaderRegistry.entry(forPath: "/tmp/Placement.XLSX"))
        #expect(entry.name == "xlsx")
        #expect(entry.optionKeys == ["sheet", "header_row"])
        #expect(ReaderRegistry.entry(forPath: "book.xlsm")?.name == "xlsx")
        // No reader named: the extension decides.
        let source = PipelineConfig.Source(path: fixture("handmade.xlsx"), reader: nil, words: [("sheet", "Other")])
        let reader = try ReaderRegistry.open(source)
        #expect(reader.header == ["id", "note"])
        guard case let .record(record)? = try reader.next() else { Issue.record("expected a record"); return }
        #expect(record.values == ["7", "<prefixed> & fine"])
    }

    // MARK: - Errors

    @Test func oldXLSIsRefusedWithAdvice() {
        #expect(failure("old.xls") == "an old .xls (BIFF) workbook or an encrypted workbook: save it as .xlsx without a password")
    }

    @Test(arguments: [
        ("not-a-zip.xlsx", "not an XLSX workbook: the file is not a zip archive"),
        ("truncated.xlsx", "the zip archive is truncated or damaged: its central directory is missing"),
        ("crc-mismatch.xlsx", "CRC mismatch in xl/worksheets/sheet1.xml: the archive is corrupt"),
    ])
    func damagedFilesSaySo(name: String, reason: String) {
        #expect(failure(name) == reason)
    }

    @Test func corruptDeflateSaysSo() {
        let reason = failure("corrupt-deflate.xlsx")
        #expect(reason == "the compressed data of xl/worksheets/sheet1.xml is corrupt (invalid block type)")
    }

    @Test func malformedWorksheetXMLSaysWhere() throws {
        // The header is read; the damage (in the same parse chunk as row 2) ends the reading
        // with an error naming the part and the line.
        let reader = try XLSXReader(path: fixture("malformed-xml.xlsx"))
        #expect(reader.header == ["Name", "Value", "When", "Kind", "Extra"])
        #expect(throws: ReaderError.self) { while try reader.next() != nil {} }
        let reason = failure("malformed-xml.xlsx")
        #expect(reason.hasPrefix("xl/worksheets/sheet1.xml is not well-formed XML (line 5: "), "\(reason)")
    }

    @Test func droppingAReaderEarlyStopsItsInflaterThread() throws {
        // bomb.xlsx's worksheet is 2 MB: more chunks than the read-ahead holds.
        for _ in 0..<20 {
            let reader = try XLSXReader(path: fixture("bomb.xlsx"))
            #expect(reader.header.count == 5)
        }
    }

    @Test func errorCellIsNamedInTheRecord() throws {
        let reader = try XLSXReader(path: fixture("handmade.xlsx"))
        guard case let .record(record)? = try reader.next() else { Issue.record("expected a record"); return }
        #expect(record.cellErrors == [CellError(column: 3, cell: "D2", value: "#N/A")])
        guard case let .record(next)? = try reader.next() else { Issue.record("expected a record"); return }
        #expect(next.cellErrors.isEmpty)
    }

    @Test func partWithADoctypeDeclaringEntitiesIsRefused() {
        // Like the XML reader: a DOCTYPE with entity declarations (an internal entity and an
        // external file) is refused before any row, never silently read without them.
        #expect(failure("entities.xlsx") == "xl/worksheets/sheet1.xml has a DOCTYPE declaring XML entities, which no workbook part has: refused (XXE / billion laughs protection)")
    }

    @Test(arguments: ["xl/workbook.xml", "xl/sharedStrings.xml", "xl/styles.xml", "xl/_rels/workbook.xml.rels"])
    func doctypeInAnyPartIsRefused(part: String) throws {
        // handmade.xlsx with a DOCTYPE (declaring an entity) put in front of one part's root.
        let source = try ZipArchive(path: fixture("handmade.xlsx"))
        var entries: [(String, [UInt8])] = []
        for entry in source.entries {
            var bytes = try readEntry(source, entry)
            if entry.name == part {
                var text = String(decoding: bytes, as: UTF8.self)
                let root = text.range(of: "?>")!.upperBound
                text.insert(contentsOf: "<!DOCTYPE x [<!ENTITY e \"E\">]>", at: root)
                bytes = Array(text.utf8)
            }
            entries.append((entry.name, bytes))
        }
        let path = try temporaryReaderFile("doctype.xlsx", ZipImage.build(entries).bytes)
        do {
            _ = try readAll(try XLSXReader(path: path))
            Issue.record("read \(part) with a DOCTYPE")
        } catch let ReaderError.cannotOpen(_, reason) {
            #expect(reason == "\(part) has a DOCTYPE declaring XML entities, which no workbook part has: refused (XXE / billion laughs protection)")
        }
    }

    @Test func missingFileAndDirectory() {
        #expect(throws: ReaderError.cannotOpen(path: "/nonexistent/book.xlsx", reason: "No such file or directory")) {
            try XLSXReader(path: "/nonexistent/book.xlsx")
        }
        #expect(throws: ReaderError.cannotOpen(path: NSTemporaryDirectory(), reason: "is a directory")) {
            try XLSXReader(path: NSTemporaryDirectory())
        }
    }

    // MARK: - Zip bomb limits

    @Test func paddedWorksheetReadsUnderTheDefaultLimits() throws {
        // 2 MB of blanks at ~1000:1: under the 10 MiB the ratio check waits for.
        let (header, rows) = try read("bomb.xlsx")
        let (expectedHeader, expectedRows) = try read("handmade.xlsx")
        #expect(header == expectedHeader)
        #expect(rows == expectedRows)
    }

    @Test func compressionRatioLimit() {
        let limits = XLSXReader.Limits(ratioCheckAfterBytes: 256 * 1024)
        let reason = failure("bomb.xlsx", limits: limits)
        #expect(reason.hasPrefix("xl/worksheets/sheet1.xml declares a compression ratio over 200:1"), "\(reason)")
        #expect(reason.hasSuffix("a zip bomb; refused"))
    }

    @Test func declaredSizeLimit() {
        let reason = failure("bomb.xlsx", limits: XLSXReader.Limits(maxEntryBytes: 1_000_000))
        #expect(reason.hasPrefix("xl/worksheets/sheet1.xml declares 20"), "\(reason)")
        #expect(reason.hasSuffix("bytes uncompressed, over the limit of 1000000 bytes (a zip bomb?); refused"))
    }

    @Test func actualSizeLimitWhenTheDirectoryLies() {
        // The directory says 1,000 bytes; the data inflates to 2 MB.
        let reason = failure("bomb-lying.xlsx", limits: XLSXReader.Limits(maxEntryBytes: 100_000))
        #expect(reason == "xl/worksheets/sheet1.xml inflates past the limit of 100000 bytes (a zip bomb?); refused")
        // And the ratio, measured on what really inflates.
        let ratio = failure("bomb-lying.xlsx", limits: XLSXReader.Limits(ratioCheckAfterBytes: 256 * 1024))
        #expect(ratio.hasPrefix("xl/worksheets/sheet1.xml inflates at a ratio over 200:1"), "\(ratio)")
        // Without limits in the way, the size mismatch is caught at the end.
        let mismatch = failure("bomb-lying.xlsx")
        #expect(mismatch.hasPrefix("xl/worksheets/sheet1.xml inflates to 20"), "\(mismatch)")
        #expect(mismatch.hasSuffix(" bytes but the archive says 1000: the archive is corrupt"))
    }

    @Test func sharedStringsHaveTheirOwnLimit() {
        let reason = failure("libreoffice.xlsx", limits: XLSXReader.Limits(maxSharedStringsBytes: 100))
        #expect(reason.hasPrefix("xl/sharedStrings.xml declares"), "\(reason)")
        #expect(reason.hasSuffix("over the limit of 100 bytes (a zip bomb?); refused"))
    }

    // MARK: - Cell text

    @Test(arguments: [
        ("0.30000000000000004", "0.3"), ("45000", "45000"), ("1234.5", "1234.5"), ("1234.50", "1234.5"),
        ("-0.5", "-0.5"), ("0", "0"), ("-0", "0"), ("007", "7"), ("1.5E-3", "0.0015"), ("1E-3", "0.001"),
        ("123456789012345678", "123456789012346000"), ("123456789012345", "123456789012345"),
        ("0.1234567890123456789", "0.123456789012346"), ("2.5E-25", "2.5E-25"), ("1E+21", "1E+21"),
        ("1E+20", "100000000000000000000"), ("-1.0000000000000002", "-1"), ("44377.57326388889", "44377.5732638889"),
        ("abc", "abc"), (" 42 ", "42"),
    ])
    func numbersAtFifteenDigits(stored: String, shown: String) {
        let out = XLSXByteBuffer()
        Array(stored.utf8).withUnsafeBufferPointer { XLSXCellText.appendNumber($0.baseAddress!, $0.count, to: out) }
        #expect(String(decoding: UnsafeBufferPointer(start: out.base, count: out.count), as: UTF8.self) == shown)
    }

    @Test(arguments: [
        ("1", XLSXDateKind.date, false, "1900-01-01"), ("59", .date, false, "1900-02-28"), ("60", .date, false, "1900-02-29"),
        ("61", .date, false, "1900-03-01"), ("45000", .date, false, "2023-03-15"), ("45000.75", .date, false, "2023-03-15"),
        ("45000.75", .dateTime, false, "2023-03-15T18:00:00"), ("45000", .dateTime, false, "2023-03-15"),
        ("0.5", .time, false, "12:00:00"), ("0.99999", .time, false, "23:59:59"), ("0.99999999", .time, false, "00:00:00"), ("45000.999999999", .dateTime, false, "2023-03-16"),
        ("0", .date, true, "1904-01-01"), ("43538", .date, true, "2023-03-15"), ("2958465", .date, false, "9999-12-31"),
        ("-1", .date, false, "-1"), ("3000000", .date, false, "3000000"),
        // From one day on, a time of day shows its date too; a duration counts hours past 24.
        ("10.5", .time, false, "1900-01-10T12:00:00"), ("1", .time, false, "1900-01-01"),
        ("10.6229166666667", .duration, false, "254:57:00"), ("1.5", .duration, false, "36:00:00"),
        ("0.25", .duration, false, "06:00:00"), ("-0.5", .duration, false, "-12:00:00"), ("0", .duration, false, "00:00:00"),
        ("5000", .duration, false, "120000:00:00"), ("abc", .duration, false, "abc"),
    ])
    func dateSerials(stored: String, kind: XLSXDateKind, date1904: Bool, shown: String) {
        let out = XLSXByteBuffer()
        Array(stored.utf8).withUnsafeBufferPointer {
            XLSXCellText.appendDate($0.baseAddress!, $0.count, kind: kind, date1904: date1904, to: out)
        }
        #expect(String(decoding: UnsafeBufferPointer(start: out.base, count: out.count), as: UTF8.self) == shown)
    }

    @Test(arguments: [
        ("yyyy-mm-dd", XLSXDateKind.date), ("m/d/yyyy\\ hh:mm:ss", .dateTime), ("[$-409]mmmm d, yyyy;@", .date),
        ("h:mm:ss AM/PM", .time), ("[h]:mm:ss", .duration), ("[Red][mm]:ss", .duration), ("d \"days\" [h]", .dateTime), ("mm:ss.0", .time), ("mmm-yy", .date), ("mmmm", .date),
        ("General", .none), ("0.00\" days\"", .none), ("[Red]#,##0.00;[Blue]\\-#,##0.00", .none), ("#,##0 \"dhs\"", .none),
        ("0.00E+00", .none), ("@", .none), ("_(\"$\"* #,##0.00_)", .none), ("\\d0", .none),
    ])
    func formatCodes(code: String, kind: XLSXDateKind) {
        #expect(XLSXStyles.dateKind(formatCode: code) == kind)
    }

    @Test(arguments: [(14, XLSXDateKind.date), (17, .date), (18, .time), (21, .time), (22, .dateTime), (45, .time),
                      (47, .time), (46, .duration), (0, .none), (2, .none), (13, .none), (23, .none), (49, .none)])
    func builtInFormats(id: Int, kind: XLSXDateKind) {
        #expect(XLSXStyles.dateKind(numFmtId: id, custom: [:]) == kind)
    }

    @Test func customFormatOverridesABuiltInId() {
        #expect(XLSXStyles.dateKind(numFmtId: 14, custom: [14: "0.00"]) == .none)
        #expect(XLSXStyles.dateKind(numFmtId: 164, custom: [164: "dd/mm/yyyy"]) == .date)
    }
}
