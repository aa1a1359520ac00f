import Foundation
@testable import ScollectETL
import ScollectTestSupport
import Testing

/// The rejects report masks card data by the columns the mapping classifies, in read rows and
/// in the raw text of rows that could not be parsed.
struct RejectReportMaskingTests {
    static let header = ["Account Number", "Amount", "Card Number", "CVV", "Bank Account", "SSN", "Reference"]
    static let columns = RejectColumns(masked: [2: .cardNumber, 3: .secret, 4: .bankAccount, 5: .ssn], headerCount: header.count)

    func report(_ lines: [RejectLine], columns: RejectColumns = columns) throws -> [[String: String]] {
        let path = try makeTemporaryDirectory() + "/rejects.csv.gz"
        let report = try RejectReport(path: path, header: Self.header, columns: columns)
        for line in lines { try report.add(line) }
        try report.finish()
        return try Self.pythonCSV(path)
    }

    static func pythonCSV(_ path: String) throws -> [[String: String]] { try pythonCSVRows(path) }

    func malformed(_ raw: String) -> RejectLine {
        RejectLine(row: 2, line: 3, kind: .reject, reason: .malformedRow, field: nil, message: "payments.csv row 2 (line 3): expected 7 fields, found 8",
                   callsMade: [], values: [], rawText: raw)
    }

    @Test func brokenRowsWithSpacedOrDashedCardsAndAnExtraFieldHideCardAndCVV() throws {
        let rows = try report([
            malformed("R3043,100.86,5123 7782 6024 1684,343,,598-63-9594,INV-1,extra"),
            malformed("R3043,100.86,5123-7782-6024-1684,9876,,598-63-9594,INV-2"),
            malformed("R3043,\"100.86,5123 7782 6024 1684,343,6195074992,598-63-9594,INV-3"),
        ])
        #expect(rows.count == 3)
        for row in rows {
            let all = row.values.joined(separator: "|")
            #expect(!all.contains("5123 7782 6024 1684") && !all.contains("5123-7782-6024-1684") && !all.contains("5123778260241684"), "\(all)")
            #expect(!all.contains("343") && !all.contains("9876"), "CVV in \(all)")
            #expect(!all.contains("6195074992"), "bank account in \(all)")
            // The raw text is kept (masked) where the columns could be located, and says so where not.
            let raw = row["_reject_raw_text"] ?? ""
            #expect(!raw.isEmpty || row["_reject_message"]!.contains("raw text left out"), "\(row)")
            if !raw.isEmpty { #expect(raw.hasPrefix("R3043,") && raw.contains("INV-"), "the rest of the raw text stays: \(raw)") }
        }
    }

    @Test func rawTextWhoseColumnsCannotBeLocatedIsLeftOutAndSaidSo() throws {
        let farOff = "R3043;100.86;5123 7782 6024 1684;343"            // another delimiter: one field
        let notDelimited = RejectColumns(masked: [2: .cardNumber, 3: .secret], headerCount: 7, delimiter: nil)
        for (raw, columns) in [(farOff, Self.columns), ("{\"card\": \"5123 7782 6024 1684\", \"cvv\": \"343\"", notDelimited)] {
            let row = try #require(try report([malformed(raw)], columns: columns).first)
            #expect(row["_reject_raw_text"] == "")
            #expect(row["_reject_message"]!.contains("raw text left out: it may hold a CVV or secret"), "\(row)")
        }
    }

    @Test func withoutCardColumnsRawTextKeepsAllButLuhnValidCardNumbers() throws {
        let row = try #require(try report([malformed("R1,memo 4111-1111-1111-1111 paid,205-555-0134")], columns: RejectColumns(headerCount: 3)).first)
        #expect(row["_reject_raw_text"] == "R1,memo 4111-11**-****-1111 paid,205-555-0134")
    }

    @Test func readRowsMaskMappedCardColumnsAndCardsElsewhereKeepSSNs() throws {
        let line = RejectLine(row: 4, line: 5, kind: .reject, reason: .invalidCard, field: "cardnumber", message: "cardnumber 512377******1685 fails the Luhn check",
                              callsMade: [], values: ["R3043", "100.86", "5123 7782 6024 1685", "343", "6195074992", "598-63-9594", "memo 4111 1111 1111 1111"], rawText: nil)
        let row = try #require(try report([line]).first)
        #expect(row["Card Number"] == "512377******1685")
        #expect(row["CVV"] == "")
        #expect(row["Bank Account"] == "******4992")
        #expect(row["SSN"] == "598-63-9594")
        #expect(row["Reference"] == "memo 4111 11** **** 1111")
    }
}
