import Foundation

/// An Office Open XML workbook with one sheet, streamed: the sheet XML goes through deflate
/// into the zip as rows arrive (`ZipStreamWriter`), so memory does not grow with the rows.
///
/// - Row 1 is the header. Text cells are inline strings (a shared-strings table would have to
///   be held until the end), so SSNs, zips and account numbers keep their leading zeros.
/// - Numbers are numeric cells; money cells use the built-in format 2 (`0.00`).
/// - Dates are date serials (1900 date system) styled with the column's pattern as a custom
///   number format (`yyyy\-mm\-dd`, or `mm\/dd\/yyyy`…), so a spreadsheet shows what the CSV
///   export writes. Dates before 1900-03-01 (the API's `1/1/1900` and `31 Dec 1899`
///   placeholders; Excel's serials are wrong or undefined there) are written as text.
public final class XLSXExportWriter: ExportWriter {
    let zip: ZipStreamWriter
    let sheetName: String
    private var styles: [Int] = []
    private var columnLetters: [String] = []
    private var rowNumber = 1
    private var datePatterns: [ExportDatePattern] = []

    public init(output: ExportFileOutput, sheetName: String = "Accounts") {
        zip = ZipStreamWriter(output: output)
        self.sheetName = sheetName
    }

    static let moneyStyle = 1

    public func begin(columns: [ExportColumn]) throws {
        columnLetters = columns.indices.map(XLSXExportWriter.columnLetter)
        for column in columns {
            if let pattern = column.format.pattern {
                if !datePatterns.contains(pattern) { datePatterns.append(pattern) }
                styles.append(2 + datePatterns.firstIndex(of: pattern)!)
            } else {
                styles.append(column.format == .money ? XLSXExportWriter.moneyStyle : 0)
            }
        }
        try zip.addEntry("[Content_Types].xml", """
            <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
            <Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">\
            <Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>\
            <Default Extension="xml" ContentType="application/xml"/>\
            <Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>\
            <Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>\
            <Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>\
            </Types>
            """)
        try zip.addEntry("_rels/.rels", """
            <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
            <Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">\
            <Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>\
            </Relationships>
            """)
        try zip.addEntry("xl/workbook.xml", """
            <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
            <workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">\
            <sheets><sheet name="\(XLSXExportWriter.escape(sheetName, attribute: true))" sheetId="1" r:id="rId1"/></sheets></workbook>
            """)
        try zip.addEntry("xl/_rels/workbook.xml.rels", """
            <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
            <Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">\
            <Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>\
            <Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>\
            </Relationships>
            """)
        try zip.addEntry("xl/styles.xml", stylesXML())
        try zip.beginEntry("xl/worksheets/sheet1.xml")
        try zip.write("""
            <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
            <worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">\
            <sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/></sheetView></sheetViews>\
            <sheetData>
            """)
        var header = "<row r=\"1\">"
        for (index, column) in columns.enumerated() { header += inlineString(column.name, index: index, row: 1) }
        try zip.write(header + "</row>")
    }

    public func write(_ row: [ExportValue]) throws {
        rowNumber += 1
        var xml = "<row r=\"\(rowNumber)\">"
        for (index, value) in row.enumerated() {
            switch value {
            case .empty:
                continue
            case let .text(text):
                xml += inlineString(text, index: index, row: rowNumber)
            case let .number(text):
                xml += "<c r=\"\(columnLetters[index])\(rowNumber)\"\(styles[index] != 0 ? " s=\"\(styles[index])\"" : "")><v>\(text)</v></c>"
            case let .date(year, month, day, text):
                if let serial = XLSXExportWriter.serial(year: year, month: month, day: day) {
                    xml += "<c r=\"\(columnLetters[index])\(rowNumber)\" s=\"\(styles[index])\"><v>\(serial)</v></c>"
                } else {
                    xml += inlineString(text, index: index, row: rowNumber)
                }
            }
        }
        try zip.write(xml + "</row>")
    }

    public func finish() throws {
        try zip.write("</sheetData></worksheet>")
        try zip.endEntry()
        try zip.finish()
    }

    // MARK: parts

    func stylesXML() -> String {
        let numFmts = datePatterns.enumerated().map { index, pattern in
            "<numFmt numFmtId=\"\(164 + index)\" formatCode=\"\(XLSXExportWriter.escape(pattern.excelFormatCode, attribute: true))\"/>"
        }.joined()
        let dateXfs = datePatterns.indices.map { "<xf numFmtId=\"\(164 + $0)\" fontId=\"0\" fillId=\"0\" borderId=\"0\" xfId=\"0\" applyNumberFormat=\"1\"/>" }.joined()
        return """
            <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
            <styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">\
            \(datePatterns.isEmpty ? "" : "<numFmts count=\"\(datePatterns.count)\">\(numFmts)</numFmts>")\
            <fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>\
            <fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>\
            <borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>\
            <cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>\
            <cellXfs count="\(2 + datePatterns.count)"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>\
            <xf numFmtId="2" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>\(dateXfs)</cellXfs>\
            <cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>\
            </styleSheet>
            """
    }

    private func inlineString(_ text: String, index: Int, row: Int) -> String {
        "<c r=\"\(columnLetters[index])\(row)\" t=\"inlineStr\"><is><t xml:space=\"preserve\">\(XLSXExportWriter.escape(text, attribute: false))</t></is></c>"
    }

    /// `A`…`Z`, `AA`… for a 0-based column index.
    static func columnLetter(_ index: Int) -> String {
        var n = index + 1
        var letters: [Character] = []
        while n > 0 {
            let remainder = (n - 1) % 26
            letters.insert(Character(UnicodeScalar(UInt8(65 + remainder))), at: 0)
            n = (n - 1) / 26
        }
        return String(letters)
    }

    /// The 1900-system serial of a date (1899-12-30 = 0), nil before 1900-03-01.
    static func serial(year: Int, month: Int, day: Int) -> Int? {
        let days = DateNormalizer.days(fromCivil: year, month, day)
        guard days >= DateNormalizer.days(fromCivil: 1900, 3, 1) else { return nil }
        return days - DateNormalizer.days(fromCivil: 1899, 12, 30)
    }

    /// XML text: `&`, `<`, `>` (and quotes in attributes) escaped; control characters XML
    /// cannot hold, and a literal `_x`, as OOXML's `_xHHHH_` escapes.
    static func escape(_ text: String, attribute: Bool) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        var previousUnderscore = false
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"" where attribute: out += "&quot;"
            case "x" where previousUnderscore: out += "x005F_x"
            case "\t", "\n", "\r": out.unicodeScalars.append(scalar)
            case _ where scalar.value < 0x20 || scalar.value == 0xFFFE || scalar.value == 0xFFFF:
                out += String(format: "_x%04X_", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
            previousUnderscore = scalar == "_"
        }
        return out
    }
}
