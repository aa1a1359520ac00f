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
