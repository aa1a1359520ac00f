import Foundation
import ScollectTestSupport
import Testing
@testable import ScollectETL

/// The PostgreSQL store, against a real server the tests start (`PostgresTestServer`): what
/// only it has (tenants in one database, its locks, its settings); what both stores share is
/// tested against both in the other journal suites.
@Suite(.enabled(if: PostgresTestServer.available, "PostgreSQL is not installed (apt-get install postgresql); CI=true requires it"))
struct PostgresJournalStoreTests {
    @Test func everyNumberedMigrationHasItsPostgreSQLSpelling() {
        #expect(PostgresJournalSchema.migrations.map(\.version) == JournalSchema.migrations.map(\.version))
    }

    @Test func tenantsShareTheDatabaseNotTheLedger() throws {
        let server = try PostgresTestServer.server()
        let first = try server.freshJournal()
        let second = try server.freshJournal()
        let key = LedgerKey(pipeline: "bulk-payments", inputDigest: "d", key: "row:1")
        for journal in [first, second] {
            let claim = try journal.claim(key, expecting: nil, runId: "run", inputName: "payments.csv", sourceRow: 1, filenumber: "R1",
                                          endpoint: "insert_payments_external", reference: "INV-1", read: .payments, items: [],
                                          baseline: nil, maskedBody: "{}")
            guard case .claimed = claim else { Issue.record("each tenant claims its own reference: \(claim)"); return }
        }
        #expect(try first.allEntries().count == 1)
        #expect(try second.allEntries().count == 1)
    }

    @Test func aRunLockHoldsAcrossHandlesUntilReleased() throws {
        let server = try PostgresTestServer.server()
        let (location, environment) = (server.freshTenantLocation(), server.environment)
        let mine = try JournalStoreKind.postgres.open(location, environment: environment)
        let theirs = try JournalStoreKind.postgres.open(location, environment: environment)
        let lock = try mine.lockPipeline("nightly-placement")
        #expect {
            _ = try theirs.lockPipeline("nightly-placement")
        } throws: { error in
            "\(error)".contains("another run of pipeline nightly-placement is in progress") && "\(error)".contains("pid \(getpid())")
        }
        let other = try theirs.lockPipeline("bulk-payments")  // another pipeline is not held
        other.release()
        lock.release()
        try theirs.lockPipeline("nightly-placement").release()
        // Another tenant's pipeline of the same name is another lock.
        let held = try mine.lockPipeline("nightly-placement")
        try server.freshJournal().lockPipeline("nightly-placement").release()
        held.release()
    }

    @Test func aSchemaFromANewerReleaseIsRefused() throws {
        let server = try PostgresTestServer.server()
        let location = server.freshTenantLocation()
        let journal = try JournalStoreKind.postgres.open(location, environment: server.environment)
        _ = try journal.store.write { db in
            try db.execute("INSERT INTO schema_version (version, applied, summary) VALUES (99, 'later', 'from the future')")
        }
        #expect(throws: JournalSchema.NewerJournal.self) { try JournalStoreKind.postgres.open(location, environment: server.environment) }
    }

    @Test func sensitiveValuesAreSealedInTheDatabase() throws {
        let journal = try PostgresTestServer.server().freshJournal(key: try testJournalKey())
        let ssn = "123-45-6789"
        _ = try journal.recordChanges([ChangeRecord(runId: "run1", filenumber: "R1", endpoint: "updatedbase", field: "socialsecuritynumber",
                                                    previous: ssn, newValue: "987-65-4321", normalizer: "ssn", sourceRow: 2)])
        let stored = try journal.store.read { db in try db.rows("SELECT previous, new_value FROM changes") }
        #expect(stored.count == 1)
        #expect(!stored.flatMap { [$0.string("previous"), $0.string("new_value")] }.contains { $0?.contains("6789") == true },
                "an SSN in clear in PostgreSQL: \(stored)")
        #expect(try journal.changes(runId: "run1").first?.previous == ssn, "restorable with the key")
    }

    @Test func theLocationRefusesPasswordsInTheURLAndLooseFiles() throws {
        let server = try PostgresTestServer.server()
        #expect { try JournalLocation("postgres://scollect:secret@127.0.0.1:\(server.port)/postgres#tenant=ab") } throws: {
            "\($0)".contains("SCOLLECT_JOURNAL_PASSWORD_FILE") && !"\($0)".contains("secret")
        }
        let loose = try makeTemporaryDirectory("pw") + "/password"
        _ = FileManager.default.createFile(atPath: loose, contents: Data("x".utf8), attributes: [.posixPermissions: 0o644])
        #expect { try JournalLocation(server.freshTenantLocation(), env: ["SCOLLECT_JOURNAL_PASSWORD_FILE": loose]) } throws: {
            "\($0)".contains("chmod 600")
        }
        #expect { try JournalLocation(server.journalURL()) } throws: { "\($0)".contains("the tenant is not known") }
        #expect { try JournalLocation(server.freshTenantLocation().replacingOccurrences(of: "sslmode=disable", with: "sslmode=sometimes")) } throws: {
            "\($0)".contains("verify-full")
        }
    }

    /// libpq's modes: `require` encrypts, `verify-ca` checks the signer, `verify-full` the
    /// signer and the name; the server's certificate names `localhost` only.
    @Test func sslModesCheckWhatTheySay() throws {
        let server = try PostgresTestServer.server()
        func open(_ query: String, host: String = "localhost") throws -> RunJournal {
            let url = JournalLocation.forTenant("postgres://scollect@\(host):\(server.port)/postgres?\(query)", apikey: "tls-tenant")
            return try RunJournal(store: try JournalLocation(url, env: server.environment).open(), key: nil)
        }
        func encrypted(_ journal: RunJournal) throws -> Bool {
            try journal.store.read { db in try db.row("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")?.string("ssl") } == "true"
        }
        #expect(try encrypted(try open("sslmode=require")))
        #expect(try encrypted(try open("sslmode=verify-full&sslrootcert=\(server.caFile)")))
        #expect(try encrypted(try open("sslmode=verify-ca&sslrootcert=\(server.caFile)", host: "127.0.0.1")))
        #expect(try !encrypted(try open("sslmode=disable")))
        #expect(throws: JournalError.self, "the system's trust store does not know the tests' CA") { try open("sslmode=verify-full") }
        #expect(throws: JournalError.self, "the certificate does not name 127.0.0.1") {
            try open("sslmode=verify-full&sslrootcert=\(server.caFile)", host: "127.0.0.1")
        }
    }

    @Test func aWrongPasswordIsAClearError() throws {
        let server = try PostgresTestServer.server()
        let wrong = try makeTemporaryDirectory("pw") + "/password"
        _ = FileManager.default.createFile(atPath: wrong, contents: Data("not-the-password".utf8), attributes: [.posixPermissions: 0o600])
        #expect {
            _ = try JournalLocation(server.freshTenantLocation(), env: ["SCOLLECT_JOURNAL_PASSWORD_FILE": wrong]).open()
        } throws: { error in
            "\(error)".contains("cannot connect to the run journal postgres://scollect@127.0.0.1:\(server.port)") && "\(error)".contains("password")
        }
    }
}
