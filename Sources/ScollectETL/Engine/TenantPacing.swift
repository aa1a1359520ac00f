import Foundation

/// The tenant's shared rate budget for a run with a journal: every process of the tenant
/// leases its send slots from the journal's store (`RateBudgetStores`), at the pipeline's
/// `tenant_requests_per_second` (default: its `requests_per_second`). Without a journal, nil:
/// the run paces alone, as before; when the store cannot be opened, nil and why.
enum TenantPacing {
    static func budget(settings: PipelineConfig.Target, target: RunTarget) -> (budget: SharedRateBudget?, problem: String?) {
        guard let journal = target.journalPath, settings.requestsPerSecond > 0 else { return (nil, nil) }
        do {
            guard let store = try RateBudgetStores.open(journal: journal) else { return (nil, nil) }
            return (SharedRateBudget(store: store, tenant: TenantJournal.tenantID(apikey: target.credentials.apikey),
                                     configuredRate: settings.tenantRequestsPerSecond ?? settings.requestsPerSecond), nil)
        } catch {
            return (nil, "the tenant's rate budget is not shared with its other runs (this run paces alone): \(error)")
        }
    }
}
