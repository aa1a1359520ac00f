import Foundation

/// The tenant's shared rate budget for a run with a journal: every process of the tenant
/// leases its send slots from the journal's store (`JournalRateBudget`), at the pipeline's
/// `tenant_requests_per_second` (default: its `requests_per_second`). `store`: the run's open
/// journal's (no second set of connections); nil: the target's journal is opened for it. Without
/// a journal, nil: the run paces alone, as before; when the store cannot be opened, nil and why.
enum TenantPacing {
    static func budget(settings: PipelineConfig.Target, target: RunTarget, store: (any JournalStore)?) -> (budget: SharedRateBudget?, problem: String?) {
        guard settings.requestsPerSecond > 0, store != nil || target.journalPath != nil else { return (nil, nil) }
        do {
            let store = try store ?? JournalLocation(target.journalPath!).open()
            return (SharedRateBudget(store: JournalRateBudget(store: store), tenant: TenantJournal.tenantID(apikey: target.credentials.apikey),
                                     configuredRate: settings.tenantRequestsPerSecond ?? settings.requestsPerSecond), nil)
        } catch {
            return (nil, "the tenant's rate budget is not shared with its other runs (this run paces alone): \(error)")
        }
    }
}
