import Foundation
import ScollectETL

/// A real PostgreSQL server for the tests, from Debian's packages: `initdb` and `pg_ctl` run as
/// the `postgres` user (through `runuser` when the tests run as root), a data folder of its
/// own, a free loopback port, password authentication (scram-sha-256) with the password in a
/// 0600 file, as an agency would configure it. Started once per test process, on first use,
/// and stopped when the process exits.
///
/// Where PostgreSQL is not installed, tests that need it are skipped locally; with `CI=true`
/// they fail instead (`.ci/run` installs it).
public final class PostgresTestServer: @unchecked Sendable {
    public let port: Int
    public let folder: String
    /// The file holding the password (mode 0600), for `SCOLLECT_JOURNAL_PASSWORD_FILE`.
    public let passwordFile: String
    public let user = "scollect"

    /// The server, or nil (with the reason) when PostgreSQL is not installed.
    public static let shared: Result<PostgresTestServer, PostgresUnavailable> = {
        do { return .success(try PostgresTestServer()) } catch let error as PostgresUnavailable { return .failure(error) } catch {
            return .failure(PostgresUnavailable(description: "\(error)"))
        }
    }()

    /// True when the tests that need PostgreSQL should run: it is there, or CI requires it
    /// (then they run and fail on `server()`).
    public static var available: Bool {
        if case .success = shared { return true }
        return ProcessInfo.processInfo.environment["CI"] == "true"
    }

    /// The server; throws (failing the test) when it could not be started.
    public static func server() throws -> PostgresTestServer {
        try shared.get()
    }

    /// A journal location for a tenant of its own (a new schema), with the environment that
    /// opens it: `SCOLLECT_JOURNAL` and `SCOLLECT_JOURNAL_PASSWORD_FILE`.
    public func journalURL() -> String {
        "postgres://\(user)@127.0.0.1:\(port)/postgres?sslmode=disable"
    }

    public var environment: [String: String] {
        ["SCOLLECT_JOURNAL": journalURL(), "SCOLLECT_JOURNAL_PASSWORD_FILE": passwordFile]
    }

    /// A fresh tenant's journal location (`#tenant=` a random digest).
    public func freshTenantLocation() -> String {
        JournalLocation.forTenant(journalURL(), apikey: UUID().uuidString)
    }

    /// Opens a fresh tenant's journal.
    public func freshJournal(key: JournalKey? = nil) throws -> RunJournal {
        try RunJournal(store: try JournalLocation(freshTenantLocation(), env: environment).open(), key: key)
    }

    private init() throws {
        guard let bin = Self.binaries() else {
            throw PostgresUnavailable(description: "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb; apt-get install postgresql)")
        }
        folder = "/tmp/scollect-pg-\(getpid())-\(UUID().uuidString.prefix(6))"
        port = Self.freePort()
        passwordFile = folder + "/password"
        let asRoot = getuid() == 0
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let password = UUID().uuidString
        guard FileManager.default.createFile(atPath: passwordFile, contents: Data(password.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw PostgresUnavailable(description: "cannot write \(passwordFile)")
        }
        let serverFolder = folder + "/server"
        try FileManager.default.createDirectory(atPath: serverFolder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let serverPassword = serverFolder + "/pw"
        guard FileManager.default.createFile(atPath: serverPassword, contents: Data(password.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw PostgresUnavailable(description: "cannot write \(serverPassword)")
        }
        if asRoot {
            _ = Self.spawn(["/bin/chown", "-R", "postgres:postgres", serverFolder], log: folder + "/chown.log")
            _ = Self.spawn(["/bin/chmod", "711", folder], log: folder + "/chmod.log")
        }
        func asPostgres(_ arguments: [String]) -> [String] { asRoot ? ["/usr/sbin/runuser", "-u", "postgres", "--"] + arguments : arguments }
        let data = serverFolder + "/data"
        let log = serverFolder + "/initdb.log"
        guard Self.spawn(asPostgres([bin + "/initdb", "-D", data, "-U", user, "--pwfile=" + serverPassword, "--auth=scram-sha-256",
                                     "-E", "UTF8", "--locale=C.UTF-8"]), log: log) == 0 else {
            throw PostgresUnavailable(description: "initdb failed: \((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
        }
        // TLS with a certificate for "localhost" signed by a CA of the tests' own (`caFile`).
        caFile = folder + "/ca.pem"
        try Self.makeCertificates(folder: folder, serverFolder: serverFolder, asRoot: asRoot)
        let serverLog = serverFolder + "/server.log"
        let options = "-p \(port) -k \(serverFolder) -c listen_addresses=127.0.0.1 -c max_connections=200 -c ssl=on "
            + "-c ssl_cert_file=\(serverFolder)/server.pem -c ssl_key_file=\(serverFolder)/server.key"
        guard Self.spawn(asPostgres([bin + "/pg_ctl", "-D", data, "-l", serverLog, "-w", "-t", "60", "-o", options, "start"]),
                         log: serverFolder + "/pg_ctl.log") == 0 else {
            throw PostgresUnavailable(description: "pg_ctl start failed: \((try? String(contentsOfFile: serverLog, encoding: .utf8)) ?? "")")
        }
        Self.stopCommand = asPostgres([bin + "/pg_ctl", "-D", data, "-m", "immediate", "stop"])
        atexit { _ = PostgresTestServer.spawn(PostgresTestServer.stopCommand, log: "/dev/null") }
    }

    nonisolated(unsafe) private static var stopCommand: [String] = []

    /// The CA that signed the server's certificate (`sslrootcert`).
    public let caFile: String

    /// A CA and a server certificate for DNS name `localhost` only (so that `verify-full` to
    /// 127.0.0.1 fails on the name), by the openssl command line.
    static func makeCertificates(folder: String, serverFolder: String, asRoot: Bool) throws {
        let log = folder + "/openssl.log"
        try "subjectAltName=DNS:localhost\n".write(toFile: folder + "/san.ext", atomically: true, encoding: .utf8)
        let steps: [[String]] = [
            ["/usr/bin/openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", folder + "/ca.key", "-out", folder + "/ca.pem",
             "-days", "3", "-subj", "/CN=scollect-test-ca"],
            ["/usr/bin/openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", serverFolder + "/server.key", "-out", folder + "/server.csr",
             "-subj", "/CN=localhost"],
            ["/usr/bin/openssl", "x509", "-req", "-in", folder + "/server.csr", "-CA", folder + "/ca.pem", "-CAkey", folder + "/ca.key",
             "-CAcreateserial", "-out", serverFolder + "/server.pem", "-days", "3", "-extfile", folder + "/san.ext"],
            ["/bin/chmod", "600", serverFolder + "/server.key"],
        ] + (asRoot ? [["/bin/chown", "postgres:postgres", serverFolder + "/server.key", serverFolder + "/server.pem"]] : [])
        for step in steps where spawn(step, log: log) != 0 {
            throw PostgresUnavailable(description: "\(step.joined(separator: " ")) failed: \((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
        }
    }

    /// The newest installed server's bin folder.
    static func binaries() -> String? {
        let root = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).compactMap(Int.init).sorted()
        for version in versions.reversed() where FileManager.default.isExecutableFile(atPath: "\(root)/\(version)/bin/initdb") {
            return "\(root)/\(version)/bin"
        }
        return nil
    }

    /// Runs a command to its end with posix_spawn and waitpid (its output to `log`); returns
    /// its exit status. Not Foundation's `Process`, whose wait missed `runuser`'s exit.
    @discardableResult
    public static func spawn(_ arguments: [String], log: String) -> Int32 {
        var actions: posix_spawn_file_actions_t = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let argv = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        guard posix_spawn(&pid, arguments[0], &actions, nil, argv, environ) == 0 else { return -1 }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return (status & 0x7f) == 0 ? (status >> 8) & 0xff : -1
    }

    /// A loopback port free now.
    public static func freePort() -> Int {
        let socket = Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socket, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

public struct PostgresUnavailable: Error, CustomStringConvertible {
    public let description: String
}

/// The two journal stores, for tests that run against both.
public enum JournalStoreKind: String, CaseIterable, Sendable, CustomStringConvertible {
    case sqlite, postgres
    public var description: String { rawValue }

    /// Kinds to test here: SQLite always; PostgreSQL when it is there or CI requires it.
    public static var testable: [JournalStoreKind] { PostgresTestServer.available ? allCases : [.sqlite] }

    /// A fresh, empty journal of this kind.
    public func freshJournal(key: JournalKey? = nil) throws -> RunJournal {
        switch self {
        case .sqlite: try RunJournal(path: try makeTemporaryDirectory("journal") + "/journal.sqlite", key: key)
        case .postgres: try PostgresTestServer.server().freshJournal(key: key)
        }
    }

    /// A fresh location and the environment that opens it (for a second handle, or for a
    /// `scollect-etl` process).
    public func freshLocation() throws -> (location: String, environment: [String: String]) {
        switch self {
        case .sqlite: (try makeTemporaryDirectory("journal") + "/journal.sqlite", [:])
        case .postgres: (try PostgresTestServer.server().freshTenantLocation(), try PostgresTestServer.server().environment)
        }
    }

    public func open(_ location: String, environment: [String: String], key: JournalKey? = nil) throws -> RunJournal {
        try RunJournal(store: try JournalLocation(location, env: environment).open(), key: key)
    }
}
