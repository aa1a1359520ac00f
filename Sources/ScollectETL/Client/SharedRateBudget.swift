import Foundation

/// One process's side of its tenant's shared rate budget (`target.tenant_requests_per_second`):
/// send slots leased from a `RateBudgetStore` in small blocks and handed to this process's
/// callers in order.
///
/// - A new block is leased only when this one is used up and a caller is waiting, and only
///   once the time of its last slot has come: a process holds one block at a time, so busy
///   processes take turns and share the tenant's rate evenly.
/// - The size asked for adapts like a window: one more slot than the last block when its callers
///   took every slot, fewer when some went unused (at least the callers waiting). Busy processes
///   all reach the store's cap (R/20) and get equal blocks; a quiet one asks for what it uses and
///   does not hold slots the others could send in.
/// - A slot whose time passed by more than half a spacing (no caller was there) is dropped,
///   never sent late: late sends would bunch with the next process's slots.
/// - Times come back from the store as delays from its now and are placed on this process's
///   monotonic clock when the answer arrives (never earlier than the store meant).
/// - When the store fails, the caller gets nil and paces locally (`RateLimiter`'s own slots);
///   the store is asked again `retryAfterFailure` seconds later, not on every call.
public final class SharedRateBudget: @unchecked Sendable {
    public let tenant: String
    public let clientID: String
    /// This process's `tenant_requests_per_second`: the lowest among running processes wins.
    public let configuredRate: Double
    private let store: any RateBudgetStore
    private let condition = NSCondition()
    /// The block held: its first slot on the monotonic clock, spacing, size, slots handed out.
    private var start = 0.0
    private var spacing = 0.0
    private var count = 0
    private var taken = 0
    private var leasing = false
    private var waiting = 0
    /// Slots of the current block dropped; the size the next lease asks for.
    private var droppedInBlock = 0
    private var want = 1
    /// After a store failure, the monotonic time before which callers pace locally.
    private var storeDownUntil = -Double.infinity
    static let retryAfterFailure = 5.0
    /// Slots dropped because no caller was there in time; store errors (then local pacing).
    private(set) public var droppedSlots = 0
    private(set) public var storeFailures = 0
    public private(set) var lastStoreError: String?

    public init(store: any RateBudgetStore, tenant: String, clientID: String = UUID().uuidString.lowercased(), configuredRate: Double) {
        self.store = store
        self.tenant = tenant
        self.clientID = clientID
        self.configuredRate = configuredRate
    }

    /// The monotonic time of the caller's slot (it sleeps until then), after waiting for a block
    /// when this one is used up; nil when the store failed.
    public func takeSlot() -> Double? {
        condition.lock()
        waiting += 1
        defer { waiting -= 1; condition.unlock() }
        while true {
            let now = monotonicSeconds()
            if taken < count {
                let slot = start + Double(taken) * spacing
                taken += 1
                if slot < now - spacing / 2 { droppedSlots += 1; droppedInBlock += 1; continue }
                return slot
            }
            let lastSlot = count > 0 ? start + Double(count - 1) * spacing : -Double.infinity
            if leasing || now < lastSlot {
                condition.wait(until: Date(timeIntervalSinceNow: leasing ? 0.05 : lastSlot - now))
                continue
            }
            if now < storeDownUntil { return nil }
            if count > 0 { want = droppedInBlock == 0 ? count + 1 : max(1, count - droppedInBlock) }
            guard leaseBlock(want: max(want, waiting)) else { return nil }
        }
    }

    /// Called with the lock held; leases without it. False when the store failed.
    private func leaseBlock(want: Int) -> Bool {
        leasing = true
        condition.unlock()
        let result = Result { try store.lease(tenant: tenant, clientID: clientID, configuredRate: configuredRate, want: want) }
        let arrived = monotonicSeconds()
        condition.lock()
        leasing = false
        condition.broadcast()
        switch result {
        case let .success(lease):
            start = arrived + lease.firstDelay
            spacing = lease.spacing
            count = lease.count
            taken = 0
            droppedInBlock = 0
            return true
        case let .failure(error):
            storeDownUntil = arrived + Self.retryAfterFailure
            storeFailures += 1
            lastStoreError = "\(error)"
            return false
        }
    }

    /// A 429: the tenant's shared rate is halved (the store keeps one decrease a second).
    public func reportThrottle() {
        do { try store.throttled(tenant: tenant) } catch {
            condition.lock()
            storeFailures += 1
            lastStoreError = "\(error)"
            condition.unlock()
        }
    }

    /// The process is done: its rate no longer holds the tenant's down.
    public func deregister() {
        try? store.deregister(tenant: tenant, clientID: clientID)
    }
}
