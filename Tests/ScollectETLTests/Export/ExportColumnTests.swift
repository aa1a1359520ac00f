import Foundation
@testable import ScollectETL
import ScollectTestSupport
import Testing

/// Client formats: dates, money, SSNs, aggregates of included lists; and the export loader.
@Suite struct ExportColumnTests {
    @Test(arguments: [
        ("Thu, 01 Dec 2022 00:00:00 GMT", "2022-12-01"),
        ("12/1/2022", "2022-12-01"),
        ("2022-12-01", "2022-12-01"),
        (" ", ""),
        ("", ""),
        ("not a date", "not a date"),
    ])
    func datesBecomeISO(raw: String, expected: String) {
        let column = ExportColumn(name: "D", source: .field("d"), format: .date(.iso))
        #expect(column.render(raw).text == expected)
    }

    @Test(arguments: ["1/1/1900", "Sun, 31 Dec 1899 00:00:00 GMT", "0000-00-00 00:00:00", "000-00-0000", "null"])
    func serverPlaceholdersAreWrittenEmpty(raw: String) {
        for format in [ExportColumn.Format.date(.iso), .text, .ssn, .ssnLast4, .ssnMasked, .money] {
            #expect(ExportColumn(name: "X", source: .field("x"), format: format).render(raw) == .empty, "\(format)")
        }
    }

    @Test func dateInTheClientsPattern() {
        let column = ExportColumn(name: "D", source: .field("d"), format: .date(ExportDatePattern("MM/dd/yyyy")!))
        #expect(column.render("Thu, 01 Dec 2022 00:00:00 GMT") == .date(year: 2022, month: 12, day: 1, text: "12/01/2022"))
        #expect(ExportDatePattern("M/d/yy")!.format(year: 2022, month: 3, day: 9) == "3/9/22")
        #expect(ExportDatePattern("dd.MM.yyyy") != nil)
        #expect(ExportDatePattern("hh:mm") == nil)
    }

    @Test func moneySSNAndText() {
        #expect(ExportColumn(name: "M", source: .field("m"), format: .money).render("$1,234.5") == .number("1234.50"))
        #expect(ExportColumn(name: "M", source: .field("m"), format: .money).render("$0.00") == .number("0.00"))
        #expect(ExportColumn(name: "M", source: .field("m"), format: .money).render(" ") == .empty)
        #expect(ExportColumn(name: "S", source: .field("s"), format: .ssnLast4).render("111-22-3333") == .text("3333"))
        #expect(ExportColumn(name: "S", source: .field("s"), format: .ssnMasked).render("111-22-3333") == .text("***-**-3333"))
        #expect(ExportColumn(name: "S", source: .field("s"), format: .ssn).render("011-22-3333") == .text("011-22-3333"))
        #expect(ExportColumn(name: "T", source: .field("t"), format: .text).render(" ") == .empty)
        #expect(ExportColumn(name: "N", source: .field("n"), format: .number).render("007") == .text("007"))
        #expect(ExportColumn(name: "N", source: .field("n"), format: .number).render("nan") == .text("nan"))
    }

    @Test func aggregatesOfIncludedLists() {
        var account = ExportAccount(portfolio: "P", filenumber: "R1")
        account.setRecord([("CurrentBalance", .string("10.00"))])
        account.lists[.payments] = [
            .object([("paymentamount", .string("15.00")), ("paymentdate", .string("Tue, 20 Feb 2024 00:00:00 GMT"))]),
            .object([("paymentamount", .string("$150.05")), ("paymentdate", .string("Tue, 27 Feb 2024 00:00:00 GMT"))]),
        ]
        func value(_ from: String, _ format: ExportColumn.Format = .text) -> String {
            ExportColumn(name: from, source: ExportColumn.source(from: from)!, format: format).value(for: account).text
        }
        #expect(value("payments.count") == "2")
        #expect(value("payments.last.paymentdate", .date(.iso)) == "2024-02-27")
        #expect(value("payments.first.paymentamount", .money) == "15.00")
        #expect(value("payments.sum.paymentamount", .money) == "165.05")
        #expect(value("phones.count") == "0")
        #expect(value("currentbalance") == "10.00")
        #expect(value("filenumber") == "R1")
        #expect(value("portfolio") == "P")
        #expect(ExportColumn.source(from: "payments.middle.x") == nil)
        #expect(ExportColumn.source(from: "payments") == nil)
        #expect(ExportColumn.source(from: "account.zip") == .field("zip"))
        #expect(ExportColumn.source(from: "a.b") == nil)
    }

    static let pipeline = """
        source:
          scollect:
            portfolios: ["C2CLA 12.1.22"]
            include: [account, payments]
        sink: { file: ../exports/x.csv, format: csv, gzip: false }
        columns:
          - { name: "Account", from: filenumber }
          - { name: "DOB", from: birthdate, format: date, date: "MM/dd/yyyy" }
          - { name: "Paid", from: payments.count }
        target: { url: sandbox, requests_per_second: 50, max_in_flight: 2 }
        reports: { folder: ../reports/x }
        """

    @Test func loadsAnExportPipeline() throws {
        let config = try ExportPipelineLoader.parse(Self.pipeline, file: "/tmp/p/export.yml")
        #expect(config.portfolios == .named(["C2CLA 12.1.22"]))
        #expect(config.includes == [.account, .payments])
        #expect(config.sink.path == "/tmp/exports/x.csv")
        #expect(config.sink.format == .csv)
        #expect(config.columns.map(\.name) == ["Account", "DOB", "Paid"])
        #expect(config.columns[1].format == .date(ExportDatePattern("MM/dd/yyyy")!))
        #expect(config.target.maxInFlight == 2)
    }

    @Test(arguments: [
        ("    include: [account, payments]", "    include: [account, payment]", 4, "must be one of"),
        ("sink: { file: ../exports/x.csv, format: csv, gzip: false }", "sink: { file: ../exports/x.csv, format: csv, zip: false }", 5, "unknown key \"zip\""),
        ("  - { name: \"Paid\", from: payments.count }", "  - { name: \"Paid\", from: phones.count }", 9, "does not list"),
        ("  - { name: \"Account\", from: filenumber }", "  - { name: \"Account\", from: filenumber, format: cash }", 7, "must be one of"),
        ("reports: { folder: ../reports/x }", "reports: { folder: ../reports/x }\nextra: 1", 12, "unknown key \"extra\""),
    ])
    func mistakesNameTheLine(original: String, replacement: String, line: Int, message: String) throws {
        let text = Self.pipeline.replacingOccurrences(of: original, with: replacement)
        #expect(text != Self.pipeline)
        do {
            _ = try ExportPipelineLoader.parse(text, file: "export.yml")
            Issue.record("no error for \(replacement)")
        } catch let error as PipelineError {
            #expect(error.line == line, "\(error)")
            #expect(error.message.contains(message), "\(error)")
        }
    }

    @Test func samplePipelinesLoadAndAreExports() throws {
        for name in ["portfolio-export", "portfolio-export-csv"] {
            let path = repositoryPath("Pipelines/\(name).yml")
            #expect(ExportPipelineLoader.isExportPipeline(path: path))
            let config = try ExportPipelineLoader.load(path: path)
            #expect(config.portfolios == .named(["C2CLA 12.1.22"]))
        }
        #expect(!ExportPipelineLoader.isExportPipeline(path: repositoryPath("Pipelines/nightly-placement.yml")))
    }
}
