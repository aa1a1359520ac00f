import Foundation
@testable import ScollectETL
import Testing

/// The rules of the tenant's shared rate budget, on the pure function every store applies.
@Suite struct TenantRateBudgetTests {
    typealias Budget = TenantRateBudget

    /// Leases `want` slots for `client` and carries the state along.
    struct Tenant {
        var state: TenantRateState?
        var clients: [RateBudgetClient] = []

        mutating func lease(_ client: String, rate: Double, at now: Double, want: Int = .max) -> SlotLease {
            let result = Budget.lease(state: state, clients: clients, now: now, clientID: client, configuredRate: rate, want: want)
            state = result.state
            clients = result.clients
            return result.lease
        }

        mutating func throttled(at now: Double) {
            state = Budget.throttled(state: state, clients: clients, now: now)
        }

        /// Absolute slot times of a lease made at `now`.
        static func times(_ lease: SlotLease, at now: Double) -> [Double] {
            (0..<lease.count).map { now + lease.delay(ofSlot: $0) }
        }
    }

    @Test func slotsAreSpacedOneOverTheRateWithTheMarginAcrossLeasesAndClients() {
        var tenant = Tenant()
        var times: [Double] = []
        // Three clients leasing in turn at the same instant: their slots follow each other.
        for client in ["a", "b", "c", "a", "b", "c"] {
            times += Tenant.times(tenant.lease(client, rate: 100, at: 1000), at: 1000)
        }
        #expect(times.count == 6 * 5, "blocks of R/20 = 5")
        let gaps = zip(times.dropFirst(), times).map { $0 - $1 }
        // 1 % apart while "a" leased alone, 3 % once several processes share the tenant.
        #expect(gaps.prefix(4).allSatisfy { abs($0 - RateLimiter.margin / 100) < 1e-9 }, "\(gaps)")
        #expect(gaps.dropFirst(5).allSatisfy { abs($0 - Budget.margin(processes: 3) / 100) < 1e-9 }, "\(gaps)")
        #expect(times.first == 1000)
        // Any one-second window holds at most R of them.
        for (index, t) in times.enumerated() {
            #expect(times[index...].prefix { $0 < t + 1 }.count <= 100)
        }
    }

    @Test func aLeaseStartsNowWhenTheBudgetWasIdle() {
        var tenant = Tenant()
        _ = tenant.lease("a", rate: 20, at: 1000)
        let later = tenant.lease("a", rate: 20, at: 1005)
        #expect(later.firstDelay == 0)
    }

    @Test func aBlockIsAtMostATwentiethOfTheRateAndAtLeastOneSlotAndNoMoreThanWanted() {
        #expect(Budget.blockSize(rate: 1000) == 50)
        #expect(Budget.blockSize(rate: 59) == 2)
        #expect(Budget.blockSize(rate: 20) == 1)
        #expect(Budget.blockSize(rate: 3) == 1)
        var tenant = Tenant()
        #expect(tenant.lease("a", rate: 1000, at: 0).count == 50)
        #expect(tenant.lease("a", rate: 1000, at: 0, want: 3).count == 3)
        #expect(tenant.lease("a", rate: 1000, at: 0, want: 0).count == 1)
        #expect(tenant.lease("a", rate: 5, at: 0).count == 1)
    }

    @Test func theLowestConfiguredRateAmongLiveClientsWins() {
        var tenant = Tenant()
        _ = tenant.lease("fast", rate: 100, at: 0)
        #expect(tenant.state?.rate == 100)
        let slow = tenant.lease("slow", rate: 20, at: 0.5)
        #expect(tenant.state?.rate == 20)
        #expect(abs(slow.spacing - Budget.margin(processes: 2) / 20) < 1e-12)
        // The fast client leasing again does not raise it while the slow one is live.
        let fast = tenant.lease("fast", rate: 100, at: 1)
        #expect(abs(fast.spacing - Budget.margin(processes: 2) / 20) < 1e-12)
        #expect(fast.count == 1)
    }

    @Test func staleClientsAreDroppedAndNoLongerHoldTheRateDown() {
        var tenant = Tenant()
        _ = tenant.lease("slow", rate: 10, at: 0)
        _ = tenant.lease("fast", rate: 100, at: 5)
        #expect(Set(tenant.clients.map(\.clientID)) == ["slow", "fast"])
        // 10 s after its last lease the slow one still counts; after that it is gone.
        _ = tenant.lease("fast", rate: 100, at: 10)
        #expect(tenant.clients.count == 2 && tenant.state?.rate == 10)
        _ = tenant.lease("fast", rate: 100, at: 10.5)
        #expect(tenant.clients.map(\.clientID) == ["fast"])
        // Back up to the fast client's rate additively: R/20 per second, not at once.
        #expect(tenant.state!.rate < 100)
        _ = tenant.lease("fast", rate: 100, at: 30)
        #expect(tenant.state?.rate == 100)
    }

    @Test func aClientThatEndsIsDeregistered() {
        var tenant = Tenant()
        _ = tenant.lease("slow", rate: 10, at: 0)
        _ = tenant.lease("fast", rate: 100, at: 0)
        tenant.clients = Budget.deregister(clients: tenant.clients, clientID: "slow")
        #expect(tenant.clients.map(\.clientID) == ["fast"])
    }

    @Test func a429HalvesTheSharedRateOnceASecondDownToAThirtySecondAndItGrowsBackAdditively() {
        var tenant = Tenant()
        _ = tenant.lease("a", rate: 64, at: 100)
        tenant.throttled(at: 100.1)
        #expect(tenant.state?.rate == 32)
        tenant.throttled(at: 100.5)
        #expect(tenant.state?.rate == 32, "429s within the same second count once")
        // Another client of the tenant leases at the slower pace too.
        let other = tenant.lease("b", rate: 64, at: 100.5)
        #expect(abs(other.spacing - Budget.margin(processes: 2) / 32) < 0.05)
        for k in 1...6 { tenant.throttled(at: 101.2 + Double(k)) }
        #expect(tenant.state?.rate == 2, "floor R/32")
        // R/20 = 3.2 per second after the last cut.
        _ = tenant.lease("a", rate: 64, at: 108.2)
        #expect(abs(tenant.state!.rate - 5.2) < 1e-9)
        _ = tenant.lease("a", rate: 64, at: 140)
        #expect(tenant.state?.rate == 64)
    }

    @Test func slotsPromisedTooFarAheadAreNotWaitedFor() {
        // A clock that went back an hour (or leases of processes gone) leaves nextSlot far ahead.
        var tenant = Tenant()
        _ = tenant.lease("a", rate: 20, at: 5000)
        tenant.state?.nextSlot = 9000
        let lease = tenant.lease("a", rate: 20, at: 5001)
        #expect(lease.firstDelay < 2)
    }

    @Test func throttledWithoutAStateChangesNothing() {
        #expect(Budget.throttled(state: nil, clients: [], now: 0) == nil)
    }
}
