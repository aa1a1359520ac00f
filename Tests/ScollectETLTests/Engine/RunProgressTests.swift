import Foundation
@testable import ScollectETL
import ScollectSandbox
import ScollectTestSupport
import Testing

struct RunProgressTests {
    @Test func etaComesFromTheShareOfTheInputRead() {
        var progress = RunProgress()
        progress.inputBytes = 1000
        progress.inputBytesRead = 250
        progress.elapsedSeconds = 30
        #expect(progress.fractionRead == 0.25)
        #expect(progress.estimatedSecondsLeft == 90)
        progress.elapsedSeconds = 1
        #expect(progress.estimatedSecondsLeft == nil, "too early to tell")
        progress.elapsedSeconds = 30
        progress.inputBytesRead = nil
        #expect(progress.fractionRead == nil && progress.estimatedSecondsLeft == nil, "XLSX: no position, no ETA")
    }

    @Test func inputPositionFollowsTheReadersDescriptor() throws {
        let folder = try makeTemporaryDirectory("position")
        let path = folder + "/input.csv"
        try Data(repeating: 65, count: 100_000).write(to: URL(fileURLWithPath: path))
        var source: FileByteSource? = try FileByteSource(path: path)
        let position = InputFilePosition(path: path)
        #expect(position.size == 100_000)
        #expect(position.bytesRead == 0)
        var buffer = [UInt8](repeating: 0, count: 30_000)
        _ = try buffer.withUnsafeMutableBytes { try source!.read(into: $0) }
        #expect(position.bytesRead == 30_000)
        source = nil
        #expect(position.bytesRead == 100_000, "closed at the end: read through")
        #expect(InputFilePosition(path: folder + "/input.csv").bytesRead == 100_000, "no longer open: read through")
        #expect(InputFilePosition(path: folder + "/input.csv", sequential: false).bytesRead == nil, "XLSX: no position")
        #expect(InputFilePosition(path: folder + "/missing.csv").bytesRead == nil)
    }

    final class Entries: AuditSink, @unchecked Sendable {
        private let lock = NSLock()
        private(set) var all: [AuditEntry] = []
        func record(_ entry: AuditEntry) { lock.lock(); all.append(entry); lock.unlock() }
    }

    @Test func clientCountsRateLimitedAnswersAndRetries() throws {
        let (server, _) = try startSampleSandbox(rateLimit: 2)
        defer { server.stop() }
        let audit = Entries()
        let client = ScollectClient(baseURL: server.baseURL, credentials: Credentials(apikey: SandboxConfiguration.defaultAPIKey, pin: SandboxConfiguration.defaultPIN),
                                    limiter: RateLimiter(ratePerSecond: 1000), audit: audit)
        client.retryPolicy = RetryPolicy(maxAttempts: 3, baseDelay: 0.01, maxDelay: 0.02)
        let http = CurlHTTPClient()
        for _ in 0..<10 {
            _ = try client.perform(APICall(method: "GET", endpoint: "getaccount", path: "/getaccount/R1001", filenumber: "R1001", idempotent: true), using: http)
        }
        let counts = client.counters.snapshot
        #expect(counts.rateLimited > 0, "a sandbox limited to 2/s answers 429 to 1000/s")
        #expect(counts.requests == audit.all.count)
        #expect(counts.rateLimited == audit.all.filter { $0.outcome == "rate_limited" }.count)
        #expect(counts.retries == audit.all.filter { $0.attempt > 1 }.count)
    }
}
