import Foundation

/// Where a run journal is, from `SCOLLECT_JOURNAL` (or the journal found for a target): a
/// SQLite file's path, or a PostgreSQL URL —
/// `postgres://USER@HOST[:PORT]/DATABASE[?sslmode=disable|prefer|require|verify-ca|verify-full&sslrootcert=FILE]`.
/// The password is never in the URL (it would be in the environment and in `ps`): it is read
/// from the file `SCOLLECT_JOURNAL_PASSWORD_FILE` names, which must be readable by its owner
/// only. One PostgreSQL database holds every tenant's journal, each in its own schema; the
/// tenant (a digest of the apikey, `TenantJournal.tenantID`) rides in the URL's fragment
/// (`#tenant=…`), added when the target is resolved.
public enum JournalLocation: Equatable, Sendable {
    case sqlite(path: String)
    case postgres(PostgresJournalConfiguration)

    public init(_ text: String, env: [String: String] = ProcessInfo.processInfo.environment) throws {
        if Self.isPostgres(text) {
            self = .postgres(try PostgresJournalConfiguration(url: text, env: env))
        } else {
            self = .sqlite(path: text)
        }
    }

    public static func isPostgres(_ text: String) -> Bool {
        text.hasPrefix("postgres://") || text.hasPrefix("postgresql://")
    }

    /// `location` with the tenant it belongs to: a PostgreSQL URL gets `#tenant=…` (unless it
    /// names one); a file path is one tenant's already.
    public static func forTenant(_ location: String, apikey: String) -> String {
        guard isPostgres(location), !location.contains("#") else { return location }
        return location + "#tenant=" + TenantJournal.tenantID(apikey: apikey)
    }

    public func open() throws -> any JournalStore {
        switch self {
        case let .sqlite(path): try SQLiteJournalStore(path: path)
        case let .postgres(configuration): try PostgresJournalStore(configuration)
        }
    }
}

/// A PostgreSQL journal's connection settings, from its URL and the password file.
public struct PostgresJournalConfiguration: Equatable, Sendable {
    public enum TLSMode: String, Sendable, CaseIterable { case disable, prefer, require, verifyCA = "verify-ca", verifyFull = "verify-full" }

    public var host: String
    public var port: Int
    public var user: String
    public var database: String
    public var tls: TLSMode
    /// A PEM file of the certificates that may sign the server's (`sslrootcert`); nil: the
    /// system's trust store.
    public var rootCertificates: String?
    public var password: String?
    /// The tenant's schema name part (hex digits).
    public var tenant: String
    /// The URL without its fragment, for messages.
    public var display: String

    public init(url text: String, env: [String: String]) throws {
        // Never the password in a message, even one given where it should not be.
        var redacted = URLComponents(string: text)
        if redacted?.password != nil { redacted?.password = "…" }
        let shown = redacted?.string ?? "(not a URL)"
        func problem(_ why: String) -> JournalError { JournalError("SCOLLECT_JOURNAL \(shown): \(why)") }
        guard let components = URLComponents(string: text), let host = components.host, !host.isEmpty else {
            throw problem("not a postgres://USER@HOST[:PORT]/DATABASE URL")
        }
        guard components.password == nil else {
            throw problem("holds a password; put it in a file of mode 0600 and name that file in SCOLLECT_JOURNAL_PASSWORD_FILE")
        }
        self.host = host
        self.port = components.port ?? 5432
        self.user = components.user ?? "scollect"
        self.database = String(components.path.drop(while: { $0 == "/" }))
        if database.isEmpty { database = user }
        let query = Dictionary((components.queryItems ?? []).map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { $1 })
        guard let mode = TLSMode(rawValue: query["sslmode"] ?? "prefer") else {
            throw problem("sslmode must be one of \(TLSMode.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        self.tls = mode
        self.rootCertificates = query["sslrootcert"]
        let fragment = components.fragment ?? ""
        guard fragment.hasPrefix("tenant="), fragment.dropFirst(7).allSatisfy({ $0.isHexDigit }), fragment.count > 7 else {
            throw problem("the tenant is not known: set the target's credentials (SCOLLECT_APIKEY or SCOLLECT_CREDENTIALS_FILE), whose digest names the tenant's journal")
        }
        self.tenant = String(fragment.dropFirst(7)).lowercased()
        var display = components
        display.fragment = nil
        self.display = display.string ?? text
        self.password = try Self.password(env: env)
    }

    /// The password file's content (trimmed); refused when others can read it.
    static func password(env: [String: String]) throws -> String? {
        guard let path = env["SCOLLECT_JOURNAL_PASSWORD_FILE"], !path.isEmpty else { return nil }
        do {
            return try PrivateFile.readSecret(path, variable: "SCOLLECT_JOURNAL_PASSWORD_FILE").trimmingCharacters(in: .whitespacesAndNewlines)
        } catch {
            throw JournalError(error.description)
        }
    }

    /// The tenant's schema: `scollect_<tenant>`.
    var schema: String { "scollect_" + tenant }
}
