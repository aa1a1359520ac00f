import Foundation

/// Where a tenant's shared rate budget lives: the SQLite journal file (processes of one
/// machine) or, later, PostgreSQL (every machine). An implementation only reads the tenant's
/// `TenantRateState` and clients in one transaction, applies `TenantRateBudget`'s function on
/// its own clock, and writes the result back: the rules live in Swift, not in SQL.
public protocol RateBudgetStore: AnyObject, Sendable {
    /// Up to `want` send slots for `clientID` (registered with its `configuredRate`), none
    /// sooner than `lead` seconds after the store's now (the time the answer takes to arrive).
    func lease(tenant: String, clientID: String, configuredRate: Double, want: Int, lead: Double) throws -> SlotLease
    /// A 429: the tenant's shared rate is halved (once a second at most).
    func throttled(tenant: String) throws
    /// The process ends normally: its rate no longer counts.
    func deregister(tenant: String, clientID: String) throws
    /// The store's clock now, read as quickly as the store can (nil: the store has none), so
    /// that a process can tell how its own clock stands against it.
    func clock() throws -> Double?
}

extension RateBudgetStore {
    public func clock() throws -> Double? { nil }
}
