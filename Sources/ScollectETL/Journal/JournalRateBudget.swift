import Foundation

/// A tenant's shared rate budget in its journal's store (`rate_budget`, `rate_clients`;
/// journal schema 5): through the SQLite file for the processes of one machine, through
/// PostgreSQL for every machine. Each call is one `exclusive` transaction of the store (SQLite
/// `BEGIN IMMEDIATE`; PostgreSQL an advisory transaction lock), on the store's clock, without an
/// fsync (a lease lost to a power cut costs nothing): read the state, apply `TenantRateBudget`,
/// write it back. The rules live in Swift, the SQL only loads and saves.
public final class JournalRateBudget: RateBudgetStore, @unchecked Sendable {
    public let store: any JournalStore
    /// Replaces the store's clock (tests).
    private let testClock: (@Sendable () -> Double)?

    public init(store: any JournalStore, clock: (@Sendable () -> Double)? = nil) {
        self.store = store
        self.testClock = clock
    }

    /// One `exclusive` transaction of the store, on its clock (or the test's).
    @discardableResult
    private func transaction<T>(_ body: (any JournalConnection, Double) throws -> T) throws -> T {
        try store.exclusive("rate-budget") { db, now in try body(db, testClock?() ?? now) }
    }

    public func lease(tenant: String, clientID: String, configuredRate: Double, want: Int, lead: Double = 0) throws -> SlotLease {
        try transaction { db, now in
            let result = TenantRateBudget.lease(state: try Self.state(db, tenant), clients: try Self.clients(db, tenant), now: now + lead,
                                                clientID: clientID, configuredRate: configuredRate, want: want)
            try Self.save(db, tenant, result.state, result.clients)
            var lease = result.lease
            lease.firstDelay += lead
            lease.storeNow = now
            return lease
        }
    }

    /// One statement, outside any transaction: the store's clock with the least delay.
    public func clock() throws -> Double? {
        if let testClock { return testClock() }
        return try store.now()
    }

    public func throttled(tenant: String) throws {
        try transaction { db, now in
            guard let state = TenantRateBudget.throttled(state: try Self.state(db, tenant), clients: try Self.clients(db, tenant), now: now) else { return }
            try Self.save(db, tenant, state, nil)
        }
    }

    public func deregister(tenant: String, clientID: String) throws {
        try transaction { db, _ in
            try db.execute("DELETE FROM rate_clients WHERE tenant = ? AND client_id = ?", bind(tenant), bind(clientID))
        }
    }

    /// The tenant's state and clients as stored (for tests).
    public func snapshot(tenant: String) throws -> (state: TenantRateState?, clients: [RateBudgetClient]) {
        try store.read { db in (try Self.state(db, tenant), try Self.clients(db, tenant)) }
    }

    private static func state(_ db: any JournalConnection, _ tenant: String) throws -> TenantRateState? {
        guard let row = try db.row("SELECT next_slot, rate, last_decrease, last_increase FROM rate_budget WHERE tenant = ?", bind(tenant)) else {
            return nil
        }
        return TenantRateState(nextSlot: row.double("next_slot") ?? 0, rate: row.double("rate") ?? 0,
                               lastDecrease: row.double("last_decrease") ?? 0, lastIncrease: row.double("last_increase") ?? 0)
    }

    private static func clients(_ db: any JournalConnection, _ tenant: String) throws -> [RateBudgetClient] {
        try db.rows("SELECT client_id, configured_rate, seen_at FROM rate_clients WHERE tenant = ?", bind(tenant)).map {
            RateBudgetClient(clientID: $0.string("client_id") ?? "", configuredRate: $0.double("configured_rate") ?? 0, seenAt: $0.double("seen_at") ?? 0)
        }
    }

    /// Writes the state back; `clients` (when given) replace the tenant's list.
    private static func save(_ db: any JournalConnection, _ tenant: String, _ state: TenantRateState, _ clients: [RateBudgetClient]?) throws {
        try db.execute("""
            INSERT INTO rate_budget (tenant, next_slot, rate, last_decrease, last_increase) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT (tenant) DO UPDATE SET next_slot = excluded.next_slot, rate = excluded.rate,
                last_decrease = excluded.last_decrease, last_increase = excluded.last_increase
            """, bind(tenant), bind(state.nextSlot), bind(state.rate), bind(state.lastDecrease), bind(state.lastIncrease))
        guard let clients else { return }
        try db.execute("DELETE FROM rate_clients WHERE tenant = ?", bind(tenant))
        for client in clients {
            try db.execute("INSERT INTO rate_clients (tenant, client_id, configured_rate, seen_at) VALUES (?, ?, ?, ?)",
                           bind(tenant), bind(client.clientID), bind(client.configuredRate), bind(client.seenAt))
        }
    }
}
