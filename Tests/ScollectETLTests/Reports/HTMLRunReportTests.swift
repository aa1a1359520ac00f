import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
@testable import ScollectETL
import ScollectTestSupport
import Testing

/// The run report is read as a browser would not forgive it: as XML. It must be well formed,
/// draw one bar per reject reason, load nothing from the network, and show no secret.
struct HTMLRunReportTests {
    static let apikey = "BwsxgFT1cj4gbpmHnMCU"
    static let card = "4111111111111111"

    /// Elements by name, with their attributes and the text directly inside them.
    final class Outline: NSObject, XMLParserDelegate {
        struct Element { let name: String; let attributes: [String: String]; let ancestors: [String] }
        var elements: [Element] = []
        var stack: [String] = []
        var texts: [String] = []
        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String]) {
            elements.append(Element(name: name, attributes: attributes, ancestors: stack))
            stack.append(attributes["id"].map { "\(name)#\($0)" } ?? name)
        }
        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) { stack.removeLast() }
        func parser(_ parser: XMLParser, foundCharacters string: String) { texts.append(string) }

        func count(_ name: String, class css: String, inSection section: String) -> Int {
            elements.filter { $0.name == name && $0.attributes["class"] == css && $0.ancestors.contains("section#\(section)") }.count
        }
    }

    static func parse(_ html: String) throws -> Outline {
        let parser = XMLParser(data: Data(html.utf8))
        let outline = Outline()
        parser.delegate = outline
        let ok = parser.parse()
        #expect(ok, "not well-formed: \(parser.parserError.map { "\($0)" } ?? "?") at line \(parser.lineNumber)")
        return outline
    }

    func entry(_ seconds: Double, _ endpoint: String, status: Int?, outcome: String, latency: Double, attempt: Int = 1,
               body: JSONValue? = nil, message: String? = nil) -> AuditEntry {
        AuditEntry(time: Date(timeIntervalSince1970: 1_790_000_000 + seconds), method: endpoint == "getaccount" ? "GET" : "POST",
                   endpoint: endpoint, filenumber: "R\(Int(seconds * 10))", body: body, httpStatus: status, outcome: outcome,
                   message: message, latencyMs: latency, attempt: attempt)
    }

    /// A run folder with an audit written by the real `AuditReport`: bodies with credentials
    /// and card data, a 429 and its retry, failures whose messages hold an SSN and markup.
    func makeRun(failedRequests: Int = 3) throws -> (folder: String, summary: RunSummary) {
        let folder = try makeTemporaryDirectory("html-report")
        let audit = try AuditReport(path: folder + "/audit.jsonl.gz", header: [("tool", .string("scollect-etl")), ("input_sha256", .string("ab12"))])
        audit.record(entry(0, "login", status: 200, outcome: "success", latency: 12,
                           body: .strings([("apikey", Self.apikey), ("pin", "C2C")])))
        for index in 0..<40 {
            audit.record(entry(0.1 + Double(index) * 0.05, "getaccount", status: 200, outcome: "success", latency: 5 + Double(index)))
        }
        audit.record(entry(1.2, "insert_payments_external", status: 200, outcome: "success", latency: 80,
                           body: .strings([("cardnumber", Self.card), ("threedigitnumber", "123")])))
        audit.record(entry(1.5, "updatedbase", status: 429, outcome: "rate_limited", latency: 3, message: "rate limited"))
        audit.record(entry(1.9, "updatedbase", status: 200, outcome: "success", latency: 950, attempt: 2))
        audit.record(entry(1.95, "getaccount", status: 200, outcome: "error_in_200", latency: 7, message: "Data not found for this filenumber"))
        for index in 0..<failedRequests {
            audit.record(entry(2.0 + Double(index) * 0.01, "updatedbase", status: 500, outcome: "http_error", latency: 40,
                               message: "HTTP 500: <b>boom</b> for SSN 123-45-6789"))
        }
        try audit.finish()
        var summary = RunSummary()
        summary.runId = "20261123T000000Z-0000abcd"
        summary.pipeline = "Pipelines/nightly-placement.yml"
        summary.inputFile = "/data/placement.csv"
        summary.target = "https://api.scollect.example"
        summary.rowsRead = 50
        summary.written = 40
        summary.unchanged = 4
        summary.rejected = 6
        summary.rejectsByReason = [.invalidSSN: 3, .invalidDate: 2, .accountNotFound: 1]
        summary.callsByEndpoint = ["login": 1, "getaccount": 41, "updatedbase": 2 + failedRequests, "insert_payments_external": 1]
        summary.elapsedSeconds = 2.5
        summary.exitCode = .doneWithRejects
        summary.reportFolder = folder
        return (folder, summary)
    }

    @Test func reportIsWellFormedWithOneBarPerRejectReasonAndTheCharts() throws {
        let (folder, summary) = try makeRun()
        let path = try HTMLRunReport.write(summary: summary, folder: folder)
        #expect(path == folder + "/report.html")
        #expect(fileMode(path) == 0o600)
        let html = try String(contentsOfFile: path, encoding: .utf8)
        let outline = try Self.parse(html)

        #expect(outline.count("rect", class: "bar", inSection: "rejects") == summary.rejectsByReason.count)
        for reason in summary.rejectsByReason.keys { #expect(html.contains(">\(reason.rawValue)</text>")) }
        #expect(outline.count("rect", class: "column", inSection: "rate") >= 3, "requests over 3 seconds")
        #expect(outline.count("rect", class: "failed", inSection: "rate") >= 1)
        let endpoints = summary.callsByEndpoint.count
        for series in ["p50", "p90", "p99", "max"] {
            #expect(outline.count("rect", class: series, inSection: "latency") == endpoints + 1, "one per endpoint plus the legend")
        }
        #expect(outline.elements.filter { $0.name == "svg" }.count == 3)
        // The slowest request leads its table; the 429 and the 500s are failed, the retry is counted.
        #expect(html.contains("<td class=\"n\">950</td>"))
        #expect(outline.elements.filter { $0.name == "tr" && $0.ancestors.contains("section#failed") }.count == 1 + 1 + 3)
        #expect(html.contains("<div class=\"number\">1</div><div class=\"what\">Answered 429</div>"))
        #expect(html.contains("<div class=\"number\">1</div><div class=\"what\">Retries</div>"))
        #expect(html.contains("<div class=\"number\">1</div><div class=\"what\">Errors in answers</div>"), "an unknown account is an answer, not a failure")
        #expect(!html.contains("Data not found for this filenumber"))
    }

    @Test func reportLoadsNothingAndRunsNoScript() throws {
        let (folder, summary) = try makeRun()
        let html = try String(contentsOfFile: HTMLRunReport.write(summary: summary, folder: folder), encoding: .utf8)
        let outline = try Self.parse(html)
        for element in outline.elements {
            #expect(element.name != "script" && element.name != "link" && element.name != "img" && element.name != "iframe")
            for (name, value) in element.attributes where ["src", "href", "xlink:href", "action"].contains(name) {
                Issue.record("\(element.name) \(name)=\(value) loads a resource")
            }
        }
        let css = try #require(html.range(of: "<style>").flatMap { start in html.range(of: "</style>").map { html[start.upperBound..<$0.lowerBound] } })
        #expect(!css.contains("url(") && !css.contains("@import"))
        // The only URL in the page is the run's target, shown as text.
        let urls = html.components(separatedBy: "://").count - 1
        #expect(urls == 1 && html.contains("https://api.scollect.example"))
    }

    @Test func reportShowsNoSecret() throws {
        let (folder, summary) = try makeRun()
        let html = try String(contentsOfFile: HTMLRunReport.write(summary: summary, folder: folder), encoding: .utf8)
        for secret in [Self.apikey, "C2C", Self.card, "123-45-6789", "threedigitnumber"] {
            #expect(!html.contains(secret), "\(secret) leaked")
        }
        #expect(html.contains("***-**-6789"))
        #expect(html.contains("&lt;b&gt;boom&lt;/b&gt;"), "messages are escaped, not markup")
    }

    @Test func failedRequestsAreCappedAndCounted() throws {
        let (folder, summary) = try makeRun(failedRequests: 250)
        let html = try String(contentsOfFile: HTMLRunReport.write(summary: summary, folder: folder), encoding: .utf8)
        let outline = try Self.parse(html)
        let rows = outline.elements.filter { $0.name == "tr" && $0.ancestors.contains("section#failed") }.count - 1
        #expect(rows == AuditStatistics.failedKept)
        #expect(html.contains("The first 200 of 251"))
        #expect(html.contains("<div class=\"number\">251</div><div class=\"what\">Failed requests</div>"))
    }

    @Test func aRunWithoutRequestsOrRejectsSaysSo() throws {
        let folder = try makeTemporaryDirectory("html-report")
        let audit = try AuditReport(path: folder + "/audit.jsonl.gz", header: [("tool", .string("scollect-etl"))])
        try audit.finish()
        var summary = RunSummary()
        summary.runId = "r"
        summary.reportFolder = folder
        let html = try String(contentsOfFile: HTMLRunReport.write(summary: summary, folder: folder), encoding: .utf8)
        let outline = try Self.parse(html)
        #expect(outline.elements.filter { $0.name == "svg" }.isEmpty)
        #expect(html.contains("No row was rejected.") && html.contains("No request was made."))
    }
}
