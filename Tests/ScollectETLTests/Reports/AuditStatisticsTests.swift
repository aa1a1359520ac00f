import Foundation
@testable import ScollectETL
import ScollectTestSupport
import Testing

struct AuditStatisticsTests {
    func request(at time: Double, _ endpoint: String = "getaccount", outcome: String = "success", latency: Double = 10, attempt: Int = 1) -> AuditedRequest {
        AuditedRequest(time: time, method: "GET", endpoint: endpoint, filenumber: nil, httpStatus: 200, outcome: outcome,
                       message: nil, latencyMs: latency, attempt: attempt)
    }

    @Test func percentilesAreWithinTheHistogramsResolution() {
        var histogram = LatencyHistogram()
        for milliseconds in 1...1000 { histogram.add(Double(milliseconds)) }
        for (quantile, exact) in [(0.5, 500.0), (0.9, 900.0), (0.99, 990.0)] {
            let estimate = histogram.percentile(quantile)
            #expect(estimate >= exact && estimate <= exact * 1.05, "p\(Int(quantile * 100)) = \(estimate)")
        }
        #expect(histogram.maximum == 1000)
        #expect(histogram.percentile(1) == 1000)
        #expect(histogram.count == 1000)
    }

    @Test func requestsAreCountedPerSecondEvenWhenAnsweredOutOfOrder() {
        var statistics = AuditStatistics()
        // A slow request that started first is recorded after a fast one that started later.
        statistics.add(request(at: 100.7))
        statistics.add(request(at: 99.2, outcome: "rate_limited"))
        statistics.add(request(at: 100.9, attempt: 2))
        statistics.add(request(at: 103.1, outcome: "http_error"))
        statistics.add(request(at: 103.2, outcome: "empty_result"))
        statistics.add(request(at: 103.3, outcome: "error_in_200"))
        #expect(statistics.requests == 6)
        #expect(statistics.errorAnswers == 1)
        #expect(statistics.rateLimited == 1 && statistics.retries == 1)
        #expect(statistics.failedTotal == 2, "429 and 500 failed; an empty result or an error in a 200 is an answer")
        #expect(statistics.perSecond.values.map(\.requests).reduce(0, +) == 6)
        #expect(statistics.perSecond[0] == AuditStatistics.Second(requests: 1, failed: 1, rateLimited: 1))
        #expect(statistics.spanSeconds == 5)
    }

    @Test func onlyTheSlowestAreKeptSlowestFirst() {
        var statistics = AuditStatistics()
        for index in 0..<500 { statistics.add(request(at: Double(index), latency: Double((index * 37) % 500))) }
        #expect(statistics.slowest.count == AuditStatistics.slowestKept)
        #expect(statistics.slowest.map(\.latencyMs) == (480..<500).reversed().map(Double.init))
    }

    @Test func auditTimestampsParseToTheSameInstantAsFoundationDoes() throws {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        for seconds in [0.0, 951_782_400.5, 1_790_000_123.456, 4_102_444_799.999] {
            let text = AuditReport.timestamp(Date(timeIntervalSince1970: seconds))
            let parsed = try #require(AuditedRequest.epochSeconds(iso8601: text))
            #expect(abs(parsed - formatter.date(from: text)!.timeIntervalSince1970) < 0.0005, "\(text)")
        }
        #expect(AuditedRequest.epochSeconds(iso8601: "2026-11-23 21:40:47Z") == nil)
    }

    /// The statistics the audit gathers while it is written are what reading the file back finds
    /// (the HTML report of a run uses the first, of an older folder the second).
    @Test func whatTheAuditGathersIsWhatReadingItBackFinds() throws {
        let folder = try makeTemporaryDirectory("audit-stats")
        let audit = try AuditReport(path: folder + "/audit.jsonl.gz", header: [("input_sha256", .string("ab12")), ("started", .string("2026-12-02T16:00:00Z"))])
        let outcomes = ["success", "rate_limited", "http_error", "error_in_200", "transport_error", "empty_result"]
        for index in 0..<2_500 {
            // Out of order by up to a second, with fractions of a millisecond; some failures with messages.
            let time = 1_790_000_000.123_456 + Double(index) / 90 - Double(index % 7) * 0.15 + 0.000_37 * Double(index % 3)
            let outcome = outcomes[index % 11 == 0 ? (index / 11) % outcomes.count : 0]
            audit.record(AuditEntry(time: Date(timeIntervalSince1970: time), method: index % 2 == 0 ? "GET" : "PUT",
                                    endpoint: index % 2 == 0 ? "getaccount" : "updatedbase", filenumber: "R\(index)", body: nil,
                                    httpStatus: outcome == "transport_error" ? nil : 200, outcome: outcome,
                                    message: outcome == "success" ? nil : "refused for SSN 123-45-\(6789 - index % 10)",
                                    latencyMs: Double(index % 97) * 1.37 + 0.049, attempt: 1 + index % 4 / 3))
        }
        try audit.finish()
        let gathered = audit.statistics
        let read = try AuditStatistics.read(auditPath: folder + "/audit.jsonl.gz")
        #expect(gathered.header == read.header)
        #expect(gathered.requests == 2_500 && read.requests == 2_500)
        #expect((gathered.rateLimited, gathered.retries, gathered.failedTotal, gathered.errorAnswers)
            == (read.rateLimited, read.retries, read.failedTotal, read.errorAnswers))
        #expect(gathered.firstTime == read.firstTime && gathered.lastTime == read.lastTime)
        #expect(gathered.perSecond == read.perSecond)
        #expect(Set(gathered.latencyByEndpoint.keys) == Set(read.latencyByEndpoint.keys))
        for (endpoint, histogram) in gathered.latencyByEndpoint {
            let other = read.latencyByEndpoint[endpoint]!
            #expect(histogram.count == other.count && histogram.maximum == other.maximum)
            #expect([0.5, 0.9, 0.99].map(histogram.percentile) == [0.5, 0.9, 0.99].map(other.percentile))
        }
        func rows(_ requests: [AuditedRequest]) -> [String] {
            requests.map { "\($0.time) \($0.method) \($0.endpoint) \($0.filenumber ?? "-") \($0.httpStatus ?? -1) \($0.outcome) \($0.message ?? "-") \($0.latencyMs) \($0.attempt)" }
        }
        #expect(rows(gathered.slowest) == rows(read.slowest))
        #expect(rows(gathered.failed) == rows(read.failed))
        #expect(!rows(gathered.failed).joined().contains("123-45-67"), "messages masked as in the file")
    }

    @Test func readsTheAuditLineByLine() throws {
        let folder = try makeTemporaryDirectory("audit-stats")
        let audit = try AuditReport(path: folder + "/audit.jsonl.gz", header: [("input_sha256", .string("ff00"))])
        for index in 0..<3000 {
            audit.record(AuditEntry(time: Date(timeIntervalSince1970: 1_790_000_000 + Double(index) / 100), method: "GET",
                                    endpoint: index % 3 == 0 ? "getphones" : "getaccount", filenumber: "R\(index)", body: nil,
                                    httpStatus: 200, outcome: "success", message: nil, latencyMs: Double(index % 100), attempt: 1))
        }
        try audit.finish()
        let statistics = try AuditStatistics.read(auditPath: folder + "/audit.jsonl.gz")
        #expect(statistics.header["input_sha256"] == "ff00")
        #expect(statistics.requests == 3000)
        #expect(statistics.latencyByEndpoint["getphones"]?.count == 1000)
        #expect(statistics.latencyByEndpoint["getaccount"]?.count == 2000)
        #expect(statistics.spanSeconds == 30)
        #expect(statistics.perSecond[29]?.requests == 100)
    }
}
