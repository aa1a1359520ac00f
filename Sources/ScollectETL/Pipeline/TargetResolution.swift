import Foundation

/// Where a pipeline's calls go, decided from its `target:` section and the environment:
/// `SCOLLECT_URL` wins; else a `sandbox` target means the embedded sandbox (started by the
/// caller); a real URL in the pipeline never falls back to the sandbox. Credentials come only
/// from the environment (`SCOLLECT_APIKEY` + `SCOLLECT_PIN`, or the owner-only file
/// `SCOLLECT_CREDENTIALS_FILE` names). Load and export pipelines alike.
public enum TargetResolution {
    public enum Decision {
        /// A real API: the run target is complete.
        case remote(RunTarget)
        /// The embedded sandbox, to be started by the caller on its database.
        case embeddedSandbox(EmbeddedSandbox)
    }

    /// What the embedded sandbox needs; credentials and journal from the environment when set.
    public struct EmbeddedSandbox {
        public let database: String
        public let seedFiles: [String]
        /// From the environment when set; else the sandbox's own.
        public let apikey: String?
        public let pin: String?
        public let journalPath: String?
        public let factorsNetwork: FactorsNetworkTarget?
        /// The state directory's `journals/`, where the sandbox's journal goes by default.
        public var journalsFolder = StateDirectory.current.journals

        /// The run target once the sandbox is up at `baseURL`.
        public func target(baseURL: String, instanceID: String, defaultCredentials: Credentials,
                           defaultFactorsNetwork: FactorsNetworkTarget) -> RunTarget {
            RunTarget(baseURL: baseURL, credentials: Credentials(apikey: apikey ?? defaultCredentials.apikey, pin: pin ?? defaultCredentials.pin),
                      description: "embedded sandbox \(baseURL) (\(database))",
                      journalPath: journalPath.map { JournalLocation.forTenant($0, apikey: apikey ?? defaultCredentials.apikey) }
                        ?? journalsFolder + "/sandbox-\(instanceID).sqlite",
                      // The sandbox's Factors Network emulation unless FACTORS_NETWORK_URL names one.
                      factorsNetwork: factorsNetwork ?? defaultFactorsNetwork)
        }
    }

    /// A problem with the environment: the command exits 2 before anything is sent.
    public struct Problem: Error, CustomStringConvertible {
        public let description: String
    }

    /// The embedded sandbox's database in this process's state directory (`StateDirectory`).
    public static var sandboxDatabase: String { StateDirectory.current.sandboxDatabase }

    public static func decide(_ target: PipelineConfig.Target, env: [String: String]) throws -> Decision {
        let url = value(env, "SCOLLECT_URL")
        let factorsNetwork: FactorsNetworkTarget?
        do {
            factorsNetwork = try FactorsNetworkTarget.fromEnvironment(env)
        } catch {
            throw Problem(description: "\(error)")
        }
        if url != nil || !target.isSandbox {
            let baseURL = url ?? target.url
            do { try URLPolicy.check(baseURL, source: url != nil ? "SCOLLECT_URL" : "target.url") } catch { throw Problem(description: "\(error)") }
            guard let credentials = try credentials(env) else {
                throw Problem(description: "target \(baseURL) needs credentials: set SCOLLECT_APIKEY and SCOLLECT_PIN in the environment, or SCOLLECT_CREDENTIALS_FILE to a file of mode 0600 holding them (never in the pipeline file)")
            }
            return .remote(RunTarget(baseURL: baseURL, credentials: credentials, description: baseURL,
                                     journalPath: try journalPath(forURL: baseURL, apikey: credentials.apikey, env: env), factorsNetwork: factorsNetwork))
        }
        return .embeddedSandbox(EmbeddedSandbox(database: embeddedDatabase(env: env), seedFiles: target.sandboxSeedFiles,
                                                apikey: value(env, "SCOLLECT_APIKEY"), pin: value(env, "SCOLLECT_PIN"),
                                                journalPath: value(env, "SCOLLECT_JOURNAL"), factorsNetwork: factorsNetwork,
                                                journalsFolder: StateDirectory.resolve(env: env).journals))
    }

    /// `SCOLLECT_APIKEY` + `SCOLLECT_PIN`, else the file `SCOLLECT_CREDENTIALS_FILE` names:
    /// `SCOLLECT_APIKEY=…` and `SCOLLECT_PIN=…` lines, readable by its owner only. A file that
    /// others can read is refused: a credential is only as secret as its least careful copy.
    public static func credentials(_ env: [String: String]) throws -> Credentials? {
        if let apikey = value(env, "SCOLLECT_APIKEY"), let pin = value(env, "SCOLLECT_PIN") { return Credentials(apikey: apikey, pin: pin) }
        guard let path = value(env, "SCOLLECT_CREDENTIALS_FILE") else { return nil }
        let text: String
        do {
            text = try PrivateFile.readSecret(path, variable: "SCOLLECT_CREDENTIALS_FILE")
        } catch {
            throw Problem(description: error.description)
        }
        var values: [String: String] = [:]
        for line in text.split(whereSeparator: \.isNewline) {
            let parts = line.split(separator: "=", maxSplits: 1)
            if parts.count == 2 { values[parts[0].trimmingCharacters(in: .whitespaces)] = parts[1].trimmingCharacters(in: .whitespaces) }
        }
        guard let apikey = values["SCOLLECT_APIKEY"], !apikey.isEmpty, let pin = values["SCOLLECT_PIN"], !pin.isEmpty else {
            throw Problem(description: "SCOLLECT_CREDENTIALS_FILE \(path) must hold SCOLLECT_APIKEY=… and SCOLLECT_PIN=… lines")
        }
        return Credentials(apikey: apikey, pin: pin)
    }

    /// The embedded sandbox's database: `SCOLLECT_SANDBOX_DB` (benchmarks and scripts point it
    /// at a seeded file), else `sandbox.sqlite` in the state directory.
    public static func embeddedDatabase(env: [String: String]) -> String {
        value(env, "SCOLLECT_SANDBOX_DB") ?? StateDirectory.resolve(env: env).sandboxDatabase
    }

    /// One journal per tenant (base URL and apikey): `SCOLLECT_JOURNAL` (a file, or a
    /// PostgreSQL database whose schema for this tenant `JournalLocation.forTenant` names), else
    /// `journals/<host_port_path>-<apikey digest>.sqlite` (`TenantJournal`) in the state
    /// directory. A journal an earlier version kept per host (in `.scollect/` of the working
    /// directory) is copied to the tenant's name the first time.
    public static func journalPath(forURL url: String, apikey: String, env: [String: String]) throws -> String {
        if let path = value(env, "SCOLLECT_JOURNAL") { return JournalLocation.forTenant(path, apikey: apikey) }
        let path = inStateDirectory(TenantJournal.path(forURL: url, apikey: apikey), env: env)
        try TenantJournal.adoptLegacyJournal(from: TenantJournal.legacyPath(forURL: url), to: path)
        return path
    }

    /// The embedded sandbox's journal is keyed by its database's identity, so a reset sandbox
    /// starts a new journal.
    public static func sandboxJournal(instanceID: String, env: [String: String] = ProcessInfo.processInfo.environment) -> String {
        StateDirectory.resolve(env: env).journals + "/sandbox-\(instanceID).sqlite"
    }

    /// A journal's name (`.scollect/journals/NAME`) in the state directory's `journals/`.
    static func inStateDirectory(_ journal: String, env: [String: String]) -> String {
        StateDirectory.resolve(env: env).journals + "/" + URL(fileURLWithPath: journal).lastPathComponent
    }

    private static func value(_ env: [String: String], _ key: String) -> String? {
        env[key].flatMap { $0.isEmpty ? nil : $0 }
    }
}
