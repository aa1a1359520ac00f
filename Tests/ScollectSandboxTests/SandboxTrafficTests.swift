import Foundation
import Testing
@testable import ScollectSandbox

/// The sliding-window limit and `max_in_any_second`, on a synthetic clock.
@Suite struct SandboxTrafficTests {
    @Test func admitsUpToTheLimitPerSlidingSecond() {
        let traffic = SandboxTraffic(faults: SandboxFaults(rateLimit: 3, tokenTTL: 900))
        #expect(traffic.admit(endpoint: "a", at: 10.0) == .admitted)
        #expect(traffic.admit(endpoint: "a", at: 10.2) == .admitted)
        #expect(traffic.admit(endpoint: "b", at: 10.4) == .admitted)
        #expect(traffic.admit(endpoint: "a", at: 10.6) == .limited(retryAfter: 1))
        #expect(traffic.admit(endpoint: "a", at: 10.99) == .limited(retryAfter: 1))
        // 10.0 leaves the window (10.0, 11.0] at 11.0.
        #expect(traffic.admit(endpoint: "a", at: 11.0) == .admitted)
        #expect(traffic.admit(endpoint: "a", at: 11.1) == .limited(retryAfter: 1))
        let stats = traffic.currentStats
        #expect(stats.admitted == 4)
        #expect(stats.rejected429 == 3)
        #expect(stats.endpoints == ["a": 3, "b": 1])
        #expect(stats.maxInAnySecond == 3)
    }

    @Test func maxInAnySecondFindsTheDensestWindow() {
        let traffic = SandboxTraffic(faults: SandboxFaults(rateLimit: nil, tokenTTL: 900))
        for t in [0.0, 0.5, 1.2, 1.3, 1.4, 1.45, 2.3, 5.0] { _ = traffic.admit(endpoint: "x", at: t) }
        // (0.45, 1.45] holds 0.5, 1.2, 1.3, 1.4, 1.45.
        #expect(traffic.currentStats.maxInAnySecond == 5)
        traffic.resetStats()
        #expect(traffic.currentStats == SandboxStats(endpoints: [:], admitted: 0, rejected429: 0, maxInAnySecond: 0))
        _ = traffic.admit(endpoint: "x", at: 5.1)
        #expect(traffic.currentStats.maxInAnySecond == 1)
    }

    @Test func arrivalsAreKeptByCallerRelativeToTheFirstArrival() {
        let traffic = SandboxTraffic(faults: SandboxFaults(rateLimit: 2, tokenTTL: 900))
        _ = traffic.admit(endpoint: "login", at: 3.0)
        _ = traffic.admit(endpoint: "getaccount", caller: "token-a", at: 3.25)
        _ = traffic.admit(endpoint: "getaccount", caller: "token-b", at: 3.5)
        _ = traffic.admit(endpoint: "getaccount", caller: "token-a", at: 3.75)  // a 429 still arrived
        #expect(traffic.currentStats.arrivalsByCaller == ["anonymous": [0], "token-a": [0.25, 0.75], "token-b": [0.5]])
        traffic.resetStats()
        #expect(traffic.currentStats.arrivalsByCaller.isEmpty)
    }

    @Test func resetKeepsTheLimitWindow() {
        let traffic = SandboxTraffic(faults: SandboxFaults(rateLimit: 2, tokenTTL: 900))
        _ = traffic.admit(endpoint: "x", at: 1.0)
        _ = traffic.admit(endpoint: "x", at: 1.1)
        traffic.resetStats()
        #expect(traffic.admit(endpoint: "x", at: 1.2) == .limited(retryAfter: 1))
        #expect(traffic.currentStats.rejected429 == 1)
    }

    @Test func zeroLimitRejectsEverything() {
        let traffic = SandboxTraffic(faults: SandboxFaults(rateLimit: 0, tokenTTL: 900))
        #expect(traffic.admit(endpoint: "x", at: 1.0) == .limited(retryAfter: 1))
    }
}
