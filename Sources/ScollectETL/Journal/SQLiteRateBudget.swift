import Foundation
import GRDB

/// A tenant's shared rate budget in its SQLite journal file (`rate_budget`, `rate_clients`;
/// journal schema 5): every process of the tenant on this machine leases its send slots here.
/// Each call is one `BEGIN IMMEDIATE` transaction on a connection of its own with
/// `synchronous = NORMAL` (a lost lease after a power cut costs nothing): read the state,
/// apply `TenantRateBudget`, write it back. The clock is the wall clock, the same for every
/// process of the machine.
public final class SQLiteRateBudget: RateBudgetStore, @unchecked Sendable {
    public let path: String
    private let queue: DatabaseQueue
    private let clock: @Sendable () -> Double

    public init(path: String, clock: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }) throws {
        self.path = path
        self.clock = clock
        try PrivateFile.createDirectory(URL(fileURLWithPath: path).deletingLastPathComponent().path)
        if !FileManager.default.fileExists(atPath: path), let fd = try? createPrivateFile(path, exclusive: true) { close(fd) }
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA journal_mode = WAL")
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        do {
            queue = try DatabaseQueue(path: path, configuration: configuration)
            if try queue.read({ try JournalSchema.recordedVersion($0) ?? 0 }) < 5 {
                try queue.writeWithoutTransaction { db in
                    try db.inTransaction(.immediate) { try JournalSchema.migrate(db, path: path); return .commit }
                }
            }
        } catch let newer as JournalSchema.NewerJournal {
            throw newer
        } catch {
            throw JournalError("cannot open the rate budget in the run journal \(path): \(error)")
        }
    }

    public func lease(tenant: String, clientID: String, configuredRate: Double, want: Int) throws -> SlotLease {
        try transaction { db, now in
            let result = TenantRateBudget.lease(state: try Self.state(db, tenant), clients: try Self.clients(db, tenant), now: now,
                                                clientID: clientID, configuredRate: configuredRate, want: want)
            try Self.save(db, tenant, result.state, result.clients)
            return result.lease
        }
    }

    public func throttled(tenant: String) throws {
        try transaction { db, now in
            guard let state = TenantRateBudget.throttled(state: try Self.state(db, tenant), clients: try Self.clients(db, tenant), now: now) else { return }
            try Self.save(db, tenant, state, nil)
        }
    }

    public func deregister(tenant: String, clientID: String) throws {
        try transaction { db, _ in
            try db.execute(sql: "DELETE FROM rate_clients WHERE tenant = ? AND client_id = ?", arguments: [tenant, clientID])
        }
    }

    /// The tenant's state and clients as stored (for tests and `status`-like readers).
    public func snapshot(tenant: String) throws -> (state: TenantRateState?, clients: [RateBudgetClient]) {
        try queue.read { db in (try Self.state(db, tenant), try Self.clients(db, tenant)) }
    }

    private func transaction<T>(_ body: (Database, Double) throws -> T) throws -> T {
        do {
            return try queue.writeWithoutTransaction { db in
                var result: T?
                try db.inTransaction(.immediate) {
                    result = try body(db, clock())
                    return .commit
                }
                return result!
            }
        } catch {
            throw JournalError("rate budget in the run journal \(path): \(error)")
        }
    }

    private static func state(_ db: Database, _ tenant: String) throws -> TenantRateState? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT next_slot, rate, last_decrease, last_increase FROM rate_budget WHERE tenant = ?"),
                         arguments: [tenant]).map {
            TenantRateState(nextSlot: $0["next_slot"], rate: $0["rate"], lastDecrease: $0["last_decrease"], lastIncrease: $0["last_increase"])
        }
    }

    private static func clients(_ db: Database, _ tenant: String) throws -> [RateBudgetClient] {
        try Row.fetchAll(db.cachedStatement(sql: "SELECT client_id, configured_rate, seen_at FROM rate_clients WHERE tenant = ?"),
                         arguments: [tenant]).map {
            RateBudgetClient(clientID: $0["client_id"], configuredRate: $0["configured_rate"], seenAt: $0["seen_at"])
        }
    }

    /// Writes the state back; `clients` (when given) replace the tenant's list.
    private static func save(_ db: Database, _ tenant: String, _ state: TenantRateState, _ clients: [RateBudgetClient]?) throws {
        try db.execute(sql: "INSERT OR REPLACE INTO rate_budget (tenant, next_slot, rate, last_decrease, last_increase) VALUES (?, ?, ?, ?, ?)",
                       arguments: [tenant, state.nextSlot, state.rate, state.lastDecrease, state.lastIncrease])
        guard let clients else { return }
        try db.execute(sql: "DELETE FROM rate_clients WHERE tenant = ?", arguments: [tenant])
        for client in clients {
            try db.execute(sql: "INSERT INTO rate_clients (tenant, client_id, configured_rate, seen_at) VALUES (?, ?, ?, ?)",
                           arguments: [tenant, client.clientID, client.configuredRate, client.seenAt])
        }
    }
}
