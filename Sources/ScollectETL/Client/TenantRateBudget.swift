import Foundation

/// A tenant's pace shared by every process of the tenant, as a store keeps it. Times are
/// seconds on the store's own clock (only the store compares them).
public struct TenantRateState: Sendable, Equatable {
    /// The earliest time the next leased slot may have.
    public var nextSlot: Double
    /// The shared pace now: at most the tenant's rate, lower after a 429 (AIMD).
    public var rate: Double
    /// When a 429 last halved `rate` (one decrease a second at most).
    public var lastDecrease: Double
    /// When `rate` last grew (or was cut): growth is R/20 per second since then.
    public var lastIncrease: Double

    public init(nextSlot: Double, rate: Double, lastDecrease: Double, lastIncrease: Double) {
        self.nextSlot = nextSlot
        self.rate = rate
        self.lastDecrease = lastDecrease
        self.lastIncrease = lastIncrease
    }
}

/// A process of the tenant that leased slots: its own `tenant_requests_per_second` and when
/// the store last heard from it.
public struct RateBudgetClient: Sendable, Equatable {
    public var clientID: String
    public var configuredRate: Double
    public var seenAt: Double

    public init(clientID: String, configuredRate: Double, seenAt: Double) {
        self.clientID = clientID
        self.configuredRate = configuredRate
        self.seenAt = seenAt
    }
}

/// Send slots leased from the budget: `count` of them, the first `firstDelay` seconds after
/// the store's now, then one every `spacing` seconds. Relative to the store's now, so that the
/// caller's clock need not agree with the store's.
public struct SlotLease: Sendable, Equatable {
    public var firstDelay: Double
    public var spacing: Double
    public var count: Int
    /// The store's clock when it computed the lease (nil: unknown). With the store's clock read
    /// on its own (`RateBudgetStore.clock`), the caller places the slots where the store meant
    /// them however long the lease's answer took: answers delayed by different amounts would
    /// otherwise bunch the slots of several processes.
    public var storeNow: Double?

    public init(firstDelay: Double, spacing: Double, count: Int, storeNow: Double? = nil) {
        self.firstDelay = firstDelay
        self.spacing = spacing
        self.count = count
        self.storeNow = storeNow
    }

    /// Seconds after the store's now of slot `index` (0-based).
    public func delay(ofSlot index: Int) -> Double { firstDelay + Double(index) * spacing }
}

/// The rules of a tenant's shared rate budget, as pure functions of the stored state: a store
/// (SQLite through the journal file, PostgreSQL) reads the state in a transaction, applies
/// `lease` or `throttled`, and writes the result back.
///
/// - The tenant's rate R is the lowest `configuredRate` among the processes heard from in the
///   last `staleAfter` seconds: when running pipelines disagree, the lowest wins.
/// - Slots are spaced `margin(processes:) / rate` apart, from `max(now, nextSlot)`, handed out
///   in blocks of at most `max(1, floor(rate / 20))` (50 ms of sends): no store write per request.
/// - A 429 halves the shared rate (at most once a second, never below R/32); the rate grows
///   back by R/20 per second, applied when slots are leased.
public enum TenantRateBudget {
    /// A process not heard from for this long no longer counts (it died, or it is idle).
    public static let staleAfter = 10.0
    /// A block holds at most this share of a second's slots.
    static let blockSeconds = 1.0 / 20

    /// Slots are spaced `margin / rate` apart: `RateLimiter.margin` (2 %) for one process, 3 %
    /// while several share the tenant, whose sends each leave a little after their slot (a busy
    /// machine wakes threads late): several processes' late sends could otherwise put R + 2 into
    /// a sliding second at the server (`ScaleOutSimulationTests`).
    public static func margin(processes: Int) -> Double { processes > 1 ? 1.03 : RateLimiter.margin }

    /// The most slots one lease hands out at `rate`.
    public static func blockSize(rate: Double) -> Int { max(1, Int((rate * blockSeconds).rounded(.down))) }

    /// The processes still counted at `now`.
    public static func live(_ clients: [RateBudgetClient], now: Double) -> [RateBudgetClient] {
        clients.filter { now - $0.seenAt <= staleAfter }
    }

    /// `want` slots (at most a block) for `clientID`, which is (re)registered with its rate.
    /// Returns the new state, the clients to keep (stale ones dropped) and the lease.
    public static func lease(state: TenantRateState?, clients: [RateBudgetClient], now: Double, clientID: String,
                             configuredRate: Double, want: Int) -> (state: TenantRateState, clients: [RateBudgetClient], lease: SlotLease) {
        var kept = live(clients, now: now).filter { $0.clientID != clientID }
        kept.append(RateBudgetClient(clientID: clientID, configuredRate: configuredRate, seenAt: now))
        let ceiling = kept.map(\.configuredRate).min() ?? configuredRate
        var next = state ?? TenantRateState(nextSlot: now, rate: ceiling, lastDecrease: -Double.greatestFiniteMagnitude, lastIncrease: now)
        if next.rate < ceiling {
            next.rate = min(ceiling, next.rate + ceiling / 20 * max(0, now - next.lastIncrease))
        }
        next.rate = min(next.rate, ceiling)
        next.lastIncrease = now
        let spacing = margin(processes: kept.count) / next.rate
        let count = min(max(1, want), blockSize(rate: next.rate))
        // Each live process holds at most one block ahead: anything further is a clock that went
        // back or leases of processes gone, and is not waited for.
        let horizon = now + Double(kept.count * blockSize(rate: ceiling)) * spacing + 1
        let first = max(now, min(next.nextSlot, horizon))
        next.nextSlot = first + Double(count) * spacing
        return (next, kept, SlotLease(firstDelay: first - now, spacing: spacing, count: count))
    }

    /// A process was answered 429: the whole tenant slows down.
    public static func throttled(state: TenantRateState?, clients: [RateBudgetClient], now: Double) -> TenantRateState? {
        guard var next = state else { return nil }
        let ceiling = live(clients, now: now).map(\.configuredRate).min() ?? next.rate
        if now - next.lastDecrease >= 1 {
            next.rate = max(ceiling / 32, next.rate / 2)
            next.lastDecrease = now
        }
        next.lastIncrease = now
        return next
    }

    /// A process ended normally: it no longer holds the tenant's rate down.
    public static func deregister(clients: [RateBudgetClient], clientID: String) -> [RateBudgetClient] {
        clients.filter { $0.clientID != clientID }
    }
}
