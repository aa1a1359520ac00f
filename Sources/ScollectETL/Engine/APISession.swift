import Foundation

/// The API side of a run, load or export: one Scollect client (and the Factors Network's when
/// the target has one) paced by the pipeline's rate, a worker pool of `max_in_flight` threads
/// each owning a transport, and the login.
final class APISession {
    let client: ScollectClient
    let pool: WorkerPool
    private let settings: PipelineConfig.Target
    private let target: RunTarget
    private let health: APIHealth
    /// The tenant's rate budget shared with its other processes (runs with a journal).
    let tenantBudget: SharedRateBudget?
    private let tenantBudgetProblem: String?

    /// Every answer the server gives is reported to `health`.
    /// `journalStore`: the run's open journal's store, which the tenant's rate budget shares.
    init(settings: PipelineConfig.Target, target: RunTarget, audit: AuditSink, health: APIHealth, journalStore: (any JournalStore)? = nil) {
        self.health = health
        self.settings = settings
        self.target = target
        (tenantBudget, tenantBudgetProblem) = TenantPacing.budget(settings: settings, target: target, store: journalStore)
        client = ScollectClient(baseURL: target.baseURL, credentials: target.credentials,
                                limiter: RateLimiter(ratePerSecond: settings.requestsPerSecond, sharedBudget: tenantBudget), audit: audit)
        client.retryPolicy = settings.retry
        client.factorsNetwork = target.factorsNetwork.map {
            FactorsNetworkClient(target: $0, limiter: RateLimiter(ratePerSecond: settings.requestsPerSecond), audit: audit, retryPolicy: settings.retry)
        }
        pool = WorkerPool(size: settings.maxInFlight, timeoutSeconds: settings.timeoutSeconds, makeTransport: target.makeTransport)
        observeRequests(nil)
    }

    /// Every request as it is answered goes to `next` (a progress display), after the API's
    /// health has seen it: any HTTP answer but a 5xx shows the API is there.
    func observeRequests(_ next: (@Sendable (AuditEntry) -> Void)?) {
        let health = self.health
        client.onRequest = { entry in
            if let status = entry.httpStatus, status < 500 { health.answered() }
            next?(entry)
        }
    }

    /// A transport for the run's own thread (the login, listing reads).
    func transport(timeoutSeconds: Double? = nil) -> any HTTPTransport {
        target.makeTransport(timeoutSeconds ?? settings.timeoutSeconds)
    }

    /// Logs in; the exit code and reason when that stops the run.
    func logIn() -> (ExitCode, String)? {
        if let tenantBudgetProblem { client.warn?.warning("\(tenantBudgetProblem)") }
        do {
            try client.ensureLoggedIn(using: transport())
            return nil
        } catch let error as ClientError {
            return (error.exitCode, error.description)
        } catch {
            return (.apiUnavailable, "\(error)")
        }
    }

    /// The workers stopped, the tenant's budget left; a budget whose store failed is reported
    /// (the run paced alone meanwhile).
    func shutdown() {
        pool.shutdown()
        guard let budget = tenantBudget else { return }
        budget.deregister()
        client.warn?.debug("tenant rate budget: \(budget.leases) leases, \(budget.droppedSlots) slots dropped")
        if budget.storeFailures > 0 {
            client.warn?.warning("the tenant's rate budget could not be leased \(budget.storeFailures) time(s) (last: \(budget.lastStoreError ?? "?")): this run paced alone meanwhile")
        }
    }
}
