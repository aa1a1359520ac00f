/// The services a pipeline's calls can go to. Scollect is the target of every pipeline; the
/// Factors Network (a credit network for factoring companies, "Add Note") is a second service a
/// writer may send to. A call names its service (`APICall.service`); `ScollectClient.perform`
/// hands Factors Network calls to its `FactorsNetworkClient`, so the engine, the dry run and the
/// per-row ordering of calls stay the same whatever the service. Each service keeps its own
/// base URL, credentials (JWT for Scollect, HTTP Basic for the Factors Network) and rate
/// limiter, and shares the run's retry policy and audit report.
public enum APIService: String, Sendable, Hashable {
    case scollect
    case factorsNetwork = "factors_network"
}
