import Foundation
import ScollectTestSupport
import Testing
@testable import ScollectETL

// Workbooks "from the wild" (issue 19), made by Scripts/make_xlsx_wild_fixtures.py. The oracle
// is python-calamine: next to each fixture, wild-*.calamine.json holds its reading of the first
// sheet (every row from row 1, each cell as text the way the reader writes it), made by the same
// script. The expected records are derived from it here, independently of the reader.

private func fixture(_ name: String) -> String { repositoryPath("Tests/Fixtures/xlsx/" + name) }

/// calamine's rows of a fixture.
private func calamineRows(_ name: String) throws -> [[String]] {
    let data = try Data(contentsOf: URL(fileURLWithPath: fixture(name.replacingOccurrences(of: ".xlsx", with: ".calamine.json"))))
    let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    return try #require(object["rows"] as? [[String]])
}

/// The header and records calamine's rows make under the reader's rules: the header row (given,
/// or the first non-empty one) trimmed, trailing empty names dropped; later rows cut to the
/// header's width, empty ones skipped; each with its worksheet row number.
private func expected(_ rows: [[String]], headerRow: Int? = nil) -> (header: [String], records: [(line: Int, values: [String])]) {
    let blank: (String) -> Bool = { $0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty }
    guard let index = headerRow.map({ $0 - 1 }) ?? rows.firstIndex(where: { !$0.allSatisfy(blank) }), index < rows.count else { return ([], []) }
    var header = rows[index].map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
    while header.last == "" { header.removeLast() }
    var records: [(Int, [String])] = []
    for (k, row) in rows.enumerated() where k > index {
        let values = (0..<header.count).map { $0 < row.count ? row[$0] : "" }
        if values.contains(where: { !$0.isEmpty }) { records.append((k + 1, values)) }
    }
    return (header, records)
}

private func readAllRecords(_ reader: XLSXReader) throws -> [SourceRecord] {
    var records: [SourceRecord] = []
    while let result = try reader.next() {
        guard case let .record(record) = result else { Issue.record("unexpected \(result)"); continue }
        records.append(record)
    }
    return records
}

@Suite("XLSX from the wild")
struct XLSXWildTests {
    @Test(arguments: ["wild-strict.xlsx", "wild-minimal.xlsx", "wild-shared-formula.xlsx", "wild-inline-v.xlsx", "wild-empty-v.xlsx",
                      "wild-durations.xlsx", "wild-header-row.xlsx", "wild-pivot.xlsx", "wild-error-cells.xlsx"])
    func readsEveryCellAsPythonCalamine(name: String) throws {
        let want = expected(try calamineRows(name))
        #expect(!want.records.isEmpty)
        let reader = try XLSXReader(path: fixture(name))
        #expect(reader.header == want.header)
        let records = try readAllRecords(reader)
        #expect(records.count == want.records.count)
        for (record, row) in zip(records, want.records) {
            #expect(record.line == row.line)
            for column in 0..<want.header.count where record.value(at: column) != row.values[column] {
                Issue.record("\(name) row \(row.line) \(want.header[column]): calamine \"\(row.values[column])\", reader \"\(record.value(at: column))\"")
            }
        }
    }

    @Test func headerRowSkipsTheTitleRowsAbove() throws {
        let want = expected(try calamineRows("wild-header-row.xlsx"), headerRow: 4)
        #expect(want.header == ["Account", "Name", "Balance", "Opened"])
        let reader = try XLSXReader(path: fixture("wild-header-row.xlsx"), headerRow: 4)
        #expect(reader.header == want.header)
        let records = try readAllRecords(reader)
        #expect(records.map(\.values) == want.records.map(\.values))
        #expect(records.map(\.line) == [5, 6, 8])
        #expect(records.map(\.row) == [1, 2, 3])
        // Without it, the first non-empty row (the title) is the header.
        #expect(try XLSXReader(path: fixture("wild-header-row.xlsx")).header == ["Placement report for ACME Collections"])
    }

    @Test func pivotTableSheetWithItsHeaderRow() throws {
        let want = expected(try calamineRows("wild-pivot.xlsx"), headerRow: 3)
        let reader = try XLSXReader(path: fixture("wild-pivot.xlsx"), headerRow: 3)
        #expect(reader.header == ["Row Labels", "Sum of Amount"])
        #expect(try readAllRecords(reader).map(\.values) == want.records.map(\.values))
        // The pivot's source sheet is an ordinary sheet beside it.
        let data = try XLSXReader(path: fixture("wild-pivot.xlsx"), sheet: "Data")
        #expect(data.header == ["Region", "Rep", "Amount"])
        #expect(try readAllRecords(data).map(\.values).last == ["West", "Di", "40"])
    }

    @Test func headerRowThatIsEmptyOrPastTheEndSaysSo() {
        #expect(throws: ReaderError.cannotOpen(path: fixture("wild-header-row.xlsx"),
                                               reason: "source.header_row is 3, but row 3 of the sheet \"Placement\" is empty")) {
            try XLSXReader(path: fixture("wild-header-row.xlsx"), headerRow: 3)
        }
        #expect(throws: ReaderError.cannotOpen(path: fixture("wild-header-row.xlsx"),
                                               reason: "source.header_row is 20, but the sheet \"Placement\" ends at row 8")) {
            try XLSXReader(path: fixture("wild-header-row.xlsx"), headerRow: 20)
        }
    }

    @Test func headerRowInAPipelineReachesTheReader() throws {
        let yaml = """
        source: { file: \(fixture("wild-header-row.xlsx")), header_row: 4 }
        mapping: { filenumber: Account }
        writers: [updatedbase]
        target: { url: sandbox, requests_per_second: 10 }
        reports: { folder: out }
        """
        let config = try PipelineLoader.parse(yaml, file: "/tmp/p.yml")
        #expect((try config.source.readerOptions() as? XLSXReader.SourceOptions)?.headerRow == 4)
        let reader = try ReaderRegistry.open(config.source)
        #expect(reader.header == ["Account", "Name", "Balance", "Opened"])
        #expect(throws: (any Error).self) {
            try PipelineLoader.parse(yaml.replacingOccurrences(of: "header_row: 4", with: "header_row: 0"), file: "/tmp/p.yml")
        }
        let csv = yaml.replacingOccurrences(of: fixture("wild-header-row.xlsx"), with: "in.csv")
        #expect(throws: (any Error).self) { try PipelineLoader.parse(csv, file: "/tmp/p.yml") }
    }

    @Test func errorCellsAreEmptyAndNamedInAWarning() throws {
        let reader = try XLSXReader(path: fixture("wild-error-cells.xlsx"))
        let records = try readAllRecords(reader)
        #expect(records.map(\.values) == [["1", "", "", "#N/A"], ["2", "", "0.5", ""], ["", "ok", "", ""]])
        #expect(records[0].cellErrors == [CellError(column: 1, cell: "B2", value: "#N/A"), CellError(column: 2, cell: "C2", value: "#DIV/0!")])
        #expect(records[1].cellErrors == [CellError(column: 1, cell: "B3", value: "#VALUE!"), CellError(column: 3, cell: "D3", value: "#REF!")])
        #expect(records[2].cellErrors == [CellError(column: 0, cell: "A4", value: "#NAME?")])

        // The mapper warns for the mapped ones, naming the cell; the row goes on.
        let yaml = """
        source: { file: book.xlsx }
        mapping: { filenumber: id, phonenumber: lookup }
        writers: [updatedbase]
        target: { url: sandbox, requests_per_second: 10 }
        reports: { folder: out }
        """
        let mapper = try RowMapper(config: try PipelineLoader.parse(yaml, file: "/tmp/p.yml"), header: reader.header, inputFile: "book.xlsx")
        guard case let .row(row) = mapper.map(records[0]) else { Issue.record("expected a row"); return }
        #expect(row.warnings == [RowIssue(.cellError, field: "phonenumber", "lookup (cell B2): the error value #N/A is read as empty")])
        guard case let .rejected(issues, warnings) = mapper.map(records[2]) else { Issue.record("expected a reject"); return }
        #expect(issues.first?.reason == .missingFilenumber)
        #expect(warnings == [RowIssue(.cellError, field: "filenumber", "id (cell A4): the error value #NAME? is read as empty")])
    }

    @Test func emptySharedStringValueIsAnEmptyCell() throws {
        let records = try readAllRecords(try XLSXReader(path: fixture("wild-empty-v.xlsx")))
        #expect(records.map(\.values) == [["R1", "", "Boston"], ["R2", "", ""]])
    }

    @Test func inlineStringIgnoresAValueBesideIt() throws {
        let records = try readAllRecords(try XLSXReader(path: fixture("wild-inline-v.xlsx")))
        #expect(records.map(\.values) == [["1.", "rich"], ["007", ""]])
    }

    @Test func durationsKeepTheirDays() throws {
        let records = try readAllRecords(try XLSXReader(path: fixture("wild-durations.xlsx")))
        #expect(records[0].values == ["over ten days", "255:10:10", "36:00:00", "254:24:00", "42:00:00", "1900-01-10T12:00:00"])
        #expect(records[3].values == ["negative", "-12:00:00", "-06:00:00", "-36:00:00", "-48:00:00", "00:00:00"])
    }

    @Test func strictAndMinimalPackages() throws {
        let strict = try XLSXReader(path: fixture("wild-strict.xlsx"))
        #expect(strict.sheetNames == ["Accounts", "Notes"])
        #expect(strict.header == ["Account", "Amount", "Opened", "Active"])
        let notes = try XLSXReader(path: fixture("wild-strict.xlsx"), sheet: "Notes")
        #expect(try readAllRecords(notes).map(\.values) == [["strict"]])
        let minimal = try XLSXReader(path: fixture("wild-minimal.xlsx"))
        #expect(minimal.sheetNames == ["data", "more"])
        #expect(try readAllRecords(try XLSXReader(path: fixture("wild-minimal.xlsx"), sheet: "more")).map(\.values) == [["3"]])
        #expect(try readAllRecords(minimal).map(\.values) == [["1", "10.5", "Ann"], ["2", "0.001", "Bob"]])
    }
}
