import Foundation

/// One process's side of its tenant's shared rate budget (`target.tenant_requests_per_second`):
/// send slots leased from a `RateBudgetStore` in small blocks and handed to this process's
/// callers in order.
///
/// - A new block is leased only when this one is used up and a caller is waiting, and only
///   once the time of its last slot has come: a process holds one block at a time, so busy
///   processes take turns and share the tenant's rate evenly.
/// - The size asked for adapts like a window: twice the last block when its callers took every
///   slot, fewer when some went unused (at least the callers waiting). Busy processes
///   all reach the store's cap (R/20) and get equal blocks; a quiet one asks for what it uses and
///   does not hold slots the others could send in.
/// - A slot whose time passed by more than `lateTolerance` (or half a spacing, when that is
///   longer) is dropped, never sent later: late sends would bunch with the next process's
///   slots. Up to 10 ms late is safe: a sliding second then holds at most 1.01 s of slots spaced
///   at least 1.02/R. All the slots already too late are dropped at once (at a high R a block spans a few
///   microseconds, and dropping slot by slot until the block ran dry cost a lease per call:
///   `valgrind --tool=callgrind`, Benchmarks/README.md).
/// - Slots are placed on this process's monotonic clock where the store meant them: the store's
///   clock is read on its own, a few times, and the quickest read gives the offset between the
///   two clocks (refreshed every `resyncEvery` seconds). A lease whose answer took long thus
///   does not push its slots onto another process's (a PostgreSQL store's answers take a few
///   milliseconds, more on a busy machine). A lease whose answer takes longer than the late
///   slots' tolerance asks for its first slot no sooner than that (`lead`, from the latest
///   leases), so that few slots are already too late when they arrive; a quicker one asks for
///   none: its first slots, a little late, are still taken (a lead put every block's first
///   slot ahead, and its caller to sleep).
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
    /// How late a slot may still be taken (see the type's comment).
    static let lateTolerance = 0.01
    /// The store's clock minus this process's monotonic clock (nil: not known yet, or the store
    /// has no clock: then a lease's slots are placed from its answer's arrival).
    private var offset: Double?
    private var offsetMeasured = -Double.infinity
    static let resyncEvery = 30.0
    /// How long a lease's answer takes to arrive (moving average), asked for as `lead`.
    private var leaseTime = 0.0
    /// Slots dropped because no caller was there in time; store errors (then local pacing).
    private(set) public var droppedSlots = 0
    private(set) public var leases = 0
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
                let latest = now - max(spacing / 2, Self.lateTolerance)
                if slot < latest {
                    let late = min(count - taken, Int((latest - slot) / spacing) + 1)
                    taken += late
                    droppedSlots += late
                    droppedInBlock += late
                    continue
                }
                taken += 1
                return slot
            }
            let lastSlot = count > 0 ? start + Double(count - 1) * spacing : -Double.infinity
            if leasing || now < lastSlot {
                _ = condition.wait(until: Date(timeIntervalSinceNow: leasing ? 0.05 : lastSlot - now))
                continue
            }
            if now < storeDownUntil { return nil }
            if count > 0 { want = droppedInBlock == 0 ? 2 * count : max(1, count - droppedInBlock) }
            guard leaseBlock(want: max(want, waiting)) else { return nil }
        }
    }

    /// Called with the lock held; leases without it. False when the store failed.
    private func leaseBlock(want: Int) -> Bool {
        leasing = true
        let lead = min(0.5, max(0, 1.5 * leaseTime - Self.lateTolerance))
        condition.unlock()
        if monotonicSeconds() - offsetMeasured > Self.resyncEvery { measureOffset() }
        let sent = monotonicSeconds()
        let result = Result { try store.lease(tenant: tenant, clientID: clientID, configuredRate: configuredRate, want: want, lead: lead) }
        let arrived = monotonicSeconds()
        condition.lock()
        leasing = false
        condition.broadcast()
        switch result {
        case let .success(lease):
            leases += 1
            leaseTime = leaseTime == 0 ? arrived - sent : 0.8 * leaseTime + 0.2 * (arrived - sent)
            if let storeNow = lease.storeNow, let offset {
                start = storeNow + lease.firstDelay - offset
            } else {
                start = arrived + lease.firstDelay
            }
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

    /// Reads the store's clock three times (without the lock) and keeps the offset of the
    /// quickest read: its error is at most half that read's round trip.
    private func measureOffset() {
        var best: (roundTrip: Double, offset: Double)?
        for _ in 0..<3 {
            let before = monotonicSeconds()
            guard let storeNow = try? store.clock() else { break }
            let after = monotonicSeconds()
            if best == nil || after - before < best!.roundTrip { best = (after - before, storeNow - (before + after) / 2) }
        }
        condition.lock()
        offset = best?.offset
        offsetMeasured = monotonicSeconds()
        condition.unlock()
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
