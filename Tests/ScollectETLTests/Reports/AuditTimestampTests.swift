import Foundation
@testable import ScollectETL
import Testing

/// The audit's timestamps read as Foundation's ISO 8601 formatter writes them (the oracle),
/// without its cost on every line.
struct AuditTimestampTests {
    @Test func sameTextAsISO8601DateFormatter() {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        var state: UInt64 = 3
        func next() -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int(state >> 22 % 4_102_444_800_000)
        }
        // Whole milliseconds plus a little, so truncating and rounding agree.
        let samples = [0, 951_782_400_000, 1_672_531_199_999, 4_102_444_800_123] + (0..<2_000).map { _ in next() % 4_102_444_800_000 }
        for millis in samples {
            let date = Date(timeIntervalSince1970: Double(millis) / 1000 + 0.0002)
            #expect(AuditReport.timestamp(date) == formatter.string(from: date), "\(millis)")
        }
    }
}
