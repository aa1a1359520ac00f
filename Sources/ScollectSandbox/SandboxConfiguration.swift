/// How a sandbox server starts. The faults (rate limit, token TTL, the after-commit faults…) can
/// also be changed while it runs (`PUT /_sandbox/config`, or the `SandboxServer` setters).
public struct SandboxConfiguration: Sendable {
    public static let defaultAPIKey = "sandbox-apikey"
    public static let defaultPIN = "C2C"
    /// The Factors Network emulation's Basic credentials (the document's user name).
    public static let defaultFactorsNetworkUser = "apiuser"
    public static let defaultFactorsNetworkPassword = "fn-sandbox-secret"

    /// Address to listen on.
    public var host: String = "127.0.0.1"
    /// Port to listen on; 0 picks any free port (read it back from `SandboxServer.port`).
    public var port: Int
    /// SQLite file holding the sandbox state; created and seeded when missing.
    public var databasePath: String
    /// Credentials `POST /login` accepts.
    public var apikey: String = SandboxConfiguration.defaultAPIKey
    /// More apikeys `POST /login` accepts (with the same pin): other tenants of one host, as
    /// the real API serves every agency from one address. They share the one dataset.
    public var otherTenantAPIKeys: [String] = []
    public var pin: String = SandboxConfiguration.defaultPIN
    public var factorsNetworkUser: String = SandboxConfiguration.defaultFactorsNetworkUser
    public var factorsNetworkPassword: String = SandboxConfiguration.defaultFactorsNetworkPassword
    /// Lifetime of an access token in seconds (`exp = iat + ceil(tokenTTL)`).
    public var tokenTTL: Double = 900
    /// Admitted requests per sliding second (login included); `nil` = unlimited.
    public var rateLimit: Int?
    /// Share (0…1) of committed writes whose connection is dropped before the answer is complete.
    public var dropAfterCommit: Double = 0
    /// Share (0…1) of committed writes whose connection is closed without a byte of answer.
    public var closeAfterCommit: Double = 0
    /// Share (0…1) of committed writes answered HTTP 200 `{"state": "TIMEOUT", "status": "…"}`.
    public var timeoutAfterCommit: Double = 0
    /// Share (0…1) of committed writes answered HTTP 200 with an empty body.
    public var emptyAfterCommit: Double = 0
    /// Share (0…1) of committed writes answered HTTP 502 (a proxy's HTML page).
    public var badGatewayAfterCommit: Double = 0
    /// Seed of the fault draws: same seed, same choices for the same order of requests.
    public var faultSeed: UInt64 = 0
    /// Share (0…1) of API requests answered HTTP 500 without being acted on.
    public var serverErrorShare: Double = 0
    /// Share (0…1) of API requests whose connection is dropped without being acted on.
    public var dropShare: Double = 0
    /// Latency added to every API request, in milliseconds.
    public var latencyMs: Double = 0
    /// The `msg` of an injected HTTP 500 (a hostile server's text: control characters and all).
    public var serverErrorMessage = SandboxFaults.defaultServerErrorMessage
    /// Sent as the 429's `Retry-After` instead of the seconds to wait (`inf`, `-1`, `99999999`).
    public var retryAfterHeader: String?
    /// Account files (see `SandboxSeedFile`) loaded when the database is created.
    public var seedFiles: [String]

    public init(databasePath: String, port: Int = 0, seedFiles: [String] = []) {
        self.databasePath = databasePath
        self.port = port
        self.seedFiles = seedFiles
    }
}
