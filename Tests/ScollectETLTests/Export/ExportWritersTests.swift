import Foundation
@testable import ScollectETL
import ScollectTestSupport
import Testing

/// The export file writers: CSV, JSON, NDJSON and XLSX, plain and gzip.
@Suite struct ExportWritersTests {
    static let columns = [
        ExportColumn(name: "Account", source: .field("filenumber"), format: .text),
        ExportColumn(name: "Note, \"quoted\"", source: .field("note"), format: .text),
        ExportColumn(name: "Balance", source: .field("currentbalance"), format: .money),
        ExportColumn(name: "DOB", source: .field("birthdate"), format: .date(.iso)),
        ExportColumn(name: "SSN", source: .field("socialsecuritynumber"), format: .ssnLast4),
        ExportColumn(name: "Zip", source: .field("zip"), format: .text),
        ExportColumn(name: "Payments", source: .count(.payments), format: .number),
    ]
    static let rows: [[ExportValue]] = [
        [.text("R1050"), .text("plain"), .number("809.00"), .date(year: 1965, month: 10, day: 18, text: "1965-10-18"), .text("0333"), .text("01234"), .number("3")],
        [.text("R2"), .text("a, b \"c\"\nline2 <&> _x0041_ \u{1}"), .number("-12.50"), .date(year: 1900, month: 1, day: 1, text: "1900-01-01"), .empty, .text("00501"), .number("0")],
    ]

    func write(_ format: ExportPipelineConfig.Format, gzip: Bool) throws -> String {
        let folder = try makeTemporaryDirectory("export-writers")
        let path = folder + "/out.\(format.rawValue)" + (gzip ? ".gz" : "")
        let writer = try ExportWriters.make(.init(path: path, format: format, gzip: gzip, sheetName: "Accounts"), path: path)
        try writer.begin(columns: Self.columns)
        for row in Self.rows { try writer.write(row) }
        try writer.finish()
        #expect(fileMode(path) == 0o600)
        return path
    }

    @Test(arguments: [false, true])
    func csvQuotesOnlyWhereNeeded(gzip: Bool) throws {
        let path = try write(.csv, gzip: gzip)
        let text = gzip ? try readGzipFile(path) : try String(contentsOfFile: path, encoding: .utf8)
        #expect(text == "Account,\"Note, \"\"quoted\"\"\",Balance,DOB,SSN,Zip,Payments\r\n"
            + "R1050,plain,809.00,1965-10-18,0333,01234,3\r\n"
            + "R2,\"a, b \"\"c\"\"\nline2 <&> _x0041_ \u{1}\",-12.50,1900-01-01,,00501,0\r\n")
        let records = try readCSVRecords(path)
        #expect(records.count == 2)
        #expect(records[1]["Note, \"quoted\""] == "a, b \"c\"\nline2 <&> _x0041_ \u{1}")
    }

    @Test(arguments: [false, true])
    func jsonArrayParses(gzip: Bool) throws {
        let path = try write(.json, gzip: gzip)
        let text = gzip ? try readGzipFile(path) : try String(contentsOfFile: path, encoding: .utf8)
        let parsed = try #require(JSONValue.parse(Data(text.utf8))?.arrayValue)
        #expect(parsed.count == 2)
        #expect(parsed[0]["Account"] == .string("R1050"))
        #expect(parsed[0]["Balance"] == .number(809))
        #expect(text.contains("\"Balance\":809.00"))
        #expect(parsed[1]["Note, \"quoted\""] == .string("a, b \"c\"\nline2 <&> _x0041_ \u{1}"))
        #expect(parsed[1]["SSN"] == .null)
        #expect(parsed[1]["Zip"] == .string("00501"))
        #expect(parsed[0].objectValue?.map(\.0) == nil || true) // key order checked on the text below
        #expect(text.hasPrefix("[\n{\"Account\":\"R1050\",\"Note, \\\"quoted\\\"\":\"plain\","))
    }

    @Test(arguments: [false, true])
    func ndjsonHasOneObjectPerLine(gzip: Bool) throws {
        let path = try write(.ndjson, gzip: gzip)
        let text = gzip ? try readGzipFile(path) : try String(contentsOfFile: path, encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 3 && lines[2].isEmpty)
        #expect(JSONValue.parse(Data(lines[1].utf8))?["Payments"] == .number(0))
        #expect(JSONValue.parse(Data(lines[0].utf8))?["DOB"] == .string("1965-10-18"))
    }

    @Test func emptyJSONExportIsAnEmptyArray() throws {
        let folder = try makeTemporaryDirectory("export-writers")
        let path = folder + "/empty.json"
        let writer = try ExportWriters.make(.init(path: path, format: .json, gzip: false, sheetName: "x"), path: path)
        try writer.begin(columns: Self.columns)
        try writer.finish()
        #expect(JSONValue.parse(try Data(contentsOf: URL(fileURLWithPath: path))) == .array([]))
    }

    @Test func xlsxReadsBackWithTheProjectReader() throws {
        let path = try write(.xlsx, gzip: false)
        let reader = try XLSXReader(path: path)
        #expect(reader.header == Self.columns.map(\.name))
        var values: [[String]] = []
        while let result = try reader.next() {
            if case let .record(record) = result { values.append(record.values) }
        }
        #expect(values.count == 2)
        // Dates come back as dates, money as numbers, leading zeros kept (text cells).
        #expect(values[0] == ["R1050", "plain", "809", "1965-10-18", "0333", "01234", "3"])
        #expect(values[1][1] == "a, b \"c\"\nline2 <&> _x0041_ \u{1}")
        #expect(values[1][2] == "-12.5")
        #expect(values[1][3] == "1900-01-01") // before 1900-03-01: written as text
        #expect(values[1][5] == "00501")
    }

    @Test func xlsxIsAZipWithTheWorkbookParts() throws {
        let path = try write(.xlsx, gzip: false)
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        #expect(Array(bytes.prefix(4)) == [0x50, 0x4B, 0x03, 0x04])
        // End of central directory: 6 entries.
        let end = bytes.count - 22
        #expect(Array(bytes[end..<end + 4]) == [0x50, 0x4B, 0x05, 0x06])
        #expect(Int(bytes[end + 10]) | Int(bytes[end + 11]) << 8 == 6)
        let text = String(decoding: bytes, as: UTF8.self)
        for part in ["[Content_Types].xml", "_rels/.rels", "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/styles.xml", "xl/worksheets/sheet1.xml"] {
            #expect(text.contains(part))
        }
        // unzip -t checks every CRC, when it is installed.
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/unzip") {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/unzip")
            process.arguments = ["-tq", path]
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            #expect(process.terminationStatus == 0)
        }
    }

    @Test func xlsxGzipIsTheWorkbookCompressed() throws {
        let path = try write(.xlsx, gzip: true)
        let text = try readGzipFile(path)
        #expect(text.hasPrefix("PK\u{3}\u{4}"))
    }

    @Test func xlsxStylesAndEscapes() {
        #expect(XLSXExportWriter.columnLetter(0) == "A")
        #expect(XLSXExportWriter.columnLetter(25) == "Z")
        #expect(XLSXExportWriter.columnLetter(26) == "AA")
        #expect(XLSXExportWriter.columnLetter(701) == "ZZ")
        #expect(XLSXExportWriter.serial(year: 2022, month: 12, day: 1) == 44896)
        #expect(XLSXExportWriter.serial(year: 1900, month: 3, day: 1) == 61)
        #expect(XLSXExportWriter.serial(year: 1899, month: 12, day: 31) == nil)
        #expect(XLSXExportWriter.escape("a<b>&\"_x\u{1}", attribute: true) == "a&lt;b&gt;&amp;&quot;_x005F_x_x0001_")
        #expect(ExportDatePattern("MM/dd/yyyy")!.excelFormatCode == "mm\\/dd\\/yyyy")
    }
}
