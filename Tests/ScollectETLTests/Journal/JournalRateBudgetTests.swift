import Foundation
import GRDB
@testable import ScollectETL
import ScollectTestSupport
import Testing

/// The tenant's rate budget in its journal's store, in both stores: separate handles (as
/// separate processes, or machines, have) see one state; `RateLimiter`s with the budget take
/// their slots from it.
@Suite struct JournalRateBudgetTests {
    @Test func theJournalGetsTheBudgetTablesAsMigrationFive() throws {
        let path = try makeTemporaryDirectory("rate-budget") + "/journal.sqlite"
        _ = try RunJournal(path: path, key: nil)
        let tables = try DatabaseQueue(path: path).read { db in
            (try db.tableExists("rate_budget"), try db.tableExists("rate_clients"),
             try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM schema_version WHERE version = 5"))
        }
        #expect(tables.0 && tables.1)
        #expect(tables.2 == 1)
    }

    /// Two handles of one store location, each with its own connections.
    func twoHandles(_ kind: JournalStoreKind, clock: Double) throws -> (JournalRateBudget, JournalRateBudget) {
        let (location, environment) = try kind.freshLocation()
        func open() throws -> JournalRateBudget {
            JournalRateBudget(store: try JournalLocation(location, env: environment).open(), clock: { clock })
        }
        return (try open(), try open())
    }

    @Test(arguments: JournalStoreKind.testable)
    func twoHandlesLeaseFromOneStateAndTheLowestRateWins(_ kind: JournalStoreKind) throws {
        let (east, west) = try twoHandles(kind, clock: 1_000)
        let a = try east.lease(tenant: "t1", clientID: "east", configuredRate: 100, want: 10)
        let b = try west.lease(tenant: "t1", clientID: "west", configuredRate: 40, want: 10)
        #expect(a.firstDelay == 0 && a.count == 5)
        #expect(abs(b.firstDelay - 5 * RateLimiter.margin / 100) < 1e-9, "after east's block (east alone: 1 % margin)")
        #expect(abs(b.spacing - TenantRateBudget.margin(processes: 2) / 40) < 1e-9, "the lowest rate wins")
        #expect(b.count == 2)
        // Another tenant in the same store is a budget of its own.
        #expect(try west.lease(tenant: "t2", clientID: "west", configuredRate: 40, want: 10).firstDelay == 0)
        // A 429 seen by west slows east.
        try west.throttled(tenant: "t1")
        #expect(try east.snapshot(tenant: "t1").state?.rate == 20)
        try west.deregister(tenant: "t1", clientID: "west")
        #expect(try east.snapshot(tenant: "t1").clients.map(\.clientID) == ["east"])
    }

    /// PostgreSQL's clock is the server's: two machines whose clocks differ still agree.
    @Test(.enabled(if: PostgresTestServer.available)) func postgreSQLLeasesOnTheServersClock() throws {
        let (location, environment) = try JournalStoreKind.postgres.freshLocation()
        let budget = JournalRateBudget(store: try JournalLocation(location, env: environment).open())
        _ = try budget.lease(tenant: "t", clientID: "a", configuredRate: 10, want: 1)
        let seen = try #require(try budget.snapshot(tenant: "t").clients.first?.seenAt)
        #expect(abs(seen - Date().timeIntervalSince1970) < 5, "the server's clock, in seconds since 1970: \(seen)")
    }

    @Test(arguments: JournalStoreKind.testable)
    func limitersOfSeveralProcessesSharingTheStoreKeepTheTenantsRateAndShareIt(_ kind: JournalStoreKind) throws {
        let (location, environment) = try kind.freshLocation()
        let rate = 50.0
        let departures = Departed()
        let limiters = try (0..<3).map { index in
            RateLimiter(ratePerSecond: 500, sharedBudget: SharedRateBudget(store: JournalRateBudget(store: try JournalLocation(location, env: environment).open()),
                                                                           tenant: "t", clientID: "p\(index)", configuredRate: rate))
        }
        // Threads of their own (a thread pool on two cores would run the "processes" one by one).
        let end = monotonicSeconds() + 2.5
        let finished = DispatchSemaphore(value: 0)
        for thread in 0..<6 {
            Thread.detachNewThread {
                let limiter = limiters[thread % 3]
                while monotonicSeconds() < end {
                    limiter.acquire()
                    departures.add(thread % 3, monotonicSeconds())
                }
                finished.signal()
            }
        }
        for _ in 0..<6 { finished.wait() }
        let times = departures.all.map(\.1).sorted()
        let busiest = times.indices.map { i in times[i...].prefix { $0 < times[i] + 1 }.count }.max() ?? 0
        #expect(busiest <= Int(rate) + 1, "\(busiest) departures in one second")
        #expect(times.count >= Int(rate * 2), "\(times.count) departures in 2.5 s")
        let shares = (0..<3).map { p in departures.all.filter { $0.0 == p }.count }
        let equal = Double(times.count) / 3
        #expect(shares.allSatisfy { abs(Double($0) - equal) <= 0.1 * equal + 1 }, "\(shares)")
    }

    @Test func aSlotNoCallerTookInTimeIsDroppedNotSentLate() {
        let store = FixedLeases(SlotLease(firstDelay: 0, spacing: 0.01, count: 20))
        let budget = SharedRateBudget(store: store, tenant: "t", configuredRate: 100)
        _ = budget.takeSlot()
        sleepPrecisely(0.05)
        let now = monotonicSeconds()
        let slot = budget.takeSlot()!
        #expect(slot >= now - SharedRateBudget.lateTolerance - 0.001, "a slot \(now - slot) s in the past")
        #expect(budget.droppedSlots >= 3)
    }

    /// At a rate far above what the process sends, a block spans microseconds: its callers still
    /// use its slots (late by less than `lateTolerance`) and the blocks grow, instead of every
    /// slot after the first being dropped and a lease taken for every call or two.
    @Test func aRateFarAboveTheSendsIsNotLeasedPerCall() throws {
        let path = try makeTemporaryDirectory("rate-budget") + "/journal.sqlite"
        let store = CountingLeases(JournalRateBudget(store: try JournalLocation(path).open()))
        let budget = SharedRateBudget(store: store, tenant: "t", configuredRate: 1_000_000)
        for _ in 0..<2_000 {
            _ = budget.takeSlot()
            sleepPrecisely(0.000_05) // the call's own work
        }
        // The fault leased 1,236 times for 2,000 slots; 123 were seen on a machine loaded by the
        // rest of the suite (each 50 µs sleep oversleeping, slots dropped as late).
        #expect(store.leases <= 200, "\(store.leases) leases for 2,000 slots")
    }

    @Test func aFailingStoreLeavesTheLimiterPacingAlone() {
        let budget = SharedRateBudget(store: FixedLeases(nil), tenant: "t", configuredRate: 100)
        let limiter = RateLimiter(ratePerSecond: 100, sharedBudget: budget)
        let start = monotonicSeconds()
        for _ in 0..<11 { limiter.acquire() }
        #expect(monotonicSeconds() - start >= 0.09, "still spaced at its own rate")
        #expect(budget.storeFailures == 1, "asked again only after \(SharedRateBudget.retryAfterFailure) s")
    }
}

/// A store that hands out the same lease (nil: fails) and counts calls.
final class FixedLeases: RateBudgetStore, @unchecked Sendable {
    let lease: SlotLease?
    init(_ lease: SlotLease?) { self.lease = lease }
    struct Down: Error {}
    func lease(tenant: String, clientID: String, configuredRate: Double, want: Int, lead: Double) throws -> SlotLease {
        guard let lease else { throw Down() }
        return lease
    }
    func throttled(tenant: String) throws {}
    func deregister(tenant: String, clientID: String) throws {}
}

/// A real store's leases, counted.
final class CountingLeases: RateBudgetStore, @unchecked Sendable {
    let store: any RateBudgetStore
    private let lock = NSLock()
    private var count = 0
    var leases: Int { lock.lock(); defer { lock.unlock() }; return count }
    init(_ store: any RateBudgetStore) { self.store = store }
    func lease(tenant: String, clientID: String, configuredRate: Double, want: Int, lead: Double) throws -> SlotLease {
        lock.lock(); count += 1; lock.unlock()
        return try store.lease(tenant: tenant, clientID: clientID, configuredRate: configuredRate, want: want, lead: lead)
    }
    func throttled(tenant: String) throws { try store.throttled(tenant: tenant) }
    func deregister(tenant: String, clientID: String) throws { try store.deregister(tenant: tenant, clientID: clientID) }
    func clock() throws -> Double? { try store.clock() }
}

final class Departed: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [(Int, Double)] = []
    func add(_ process: Int, _ time: Double) { lock.lock(); items.append((process, time)); lock.unlock() }
    var all: [(Int, Double)] { lock.lock(); defer { lock.unlock() }; return items }
}
