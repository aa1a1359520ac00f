import Foundation
import ScollectTestSupport
import Testing
@testable import ScollectETL

/// Where a pipeline's calls go, and with which credentials and journal: decided from the
/// pipeline's target and the environment only.
@Suite struct TargetResolutionTests {
    static let sandbox = PipelineConfig.Target.embeddedSandbox()
    static var real: PipelineConfig.Target {
        var target = PipelineConfig.Target.embeddedSandbox()
        target.url = "https://api.example.test:8000"
        return target
    }

    func credentialsFile(_ text: String, mode: mode_t) throws -> String {
        let path = try makeTemporaryDirectory("credentials") + "/credentials"
        try text.write(toFile: path, atomically: false, encoding: .utf8)
        chmod(path, mode)
        return path
    }

    @Test func scollectURLWinsOverTheSandboxAndNeedsCredentials() throws {
        let env = ["SCOLLECT_URL": "https://api.example.test:8000", "SCOLLECT_APIKEY": "key", "SCOLLECT_PIN": "1234", "SCOLLECT_STATE_DIR": "/srv/scollect-state"]
        guard case let .remote(target) = try TargetResolution.decide(Self.sandbox, env: env) else { Issue.record("not remote"); return }
        #expect(target.baseURL == "https://api.example.test:8000")
        #expect(target.credentials.apikey == "key" && target.credentials.pin == "1234")
        // One journal per tenant: the host and a digest of the apikey, never the apikey.
        #expect(target.journalPath == "/srv/scollect-state/journals/api.example.test_8000-\(TenantJournal.tenantID(apikey: "key")).sqlite")
        #expect(target.journalPath?.contains("key.") == false)
        guard case let .remote(other) = try TargetResolution.decide(Self.sandbox, env: env.merging(["SCOLLECT_APIKEY": "other-key"]) { $1 }) else { return }
        #expect(other.journalPath != target.journalPath)
        #expect(throws: TargetResolution.Problem.self) { try TargetResolution.decide(Self.sandbox, env: ["SCOLLECT_URL": "https://x.test"]) }
    }

    @Test func aRealURLInThePipelineNeverFallsBackToTheSandbox() throws {
        #expect { try TargetResolution.decide(Self.real, env: [:]) } throws: { error in
            "\(error)".contains("needs credentials") && "\(error)".contains("https://api.example.test:8000")
        }
    }

    @Test func aSandboxTargetIsTheEmbeddedSandboxWithEnvironmentOverrides() throws {
        let env = ["SCOLLECT_PIN": "9999", "SCOLLECT_JOURNAL": "/tmp/j.sqlite", "SCOLLECT_SANDBOX_DB": "/tmp/s.sqlite"]
        guard case let .embeddedSandbox(sandbox) = try TargetResolution.decide(Self.sandbox, env: env) else { Issue.record("not sandbox"); return }
        #expect(sandbox.database == "/tmp/s.sqlite")
        let target = sandbox.target(baseURL: "http://127.0.0.1:1234", instanceID: "abc", defaultCredentials: Credentials(apikey: "dk", pin: "dp"),
                                    defaultFactorsNetwork: FactorsNetworkTarget(baseURL: "http://127.0.0.1:1234/fn", user: "u", password: "p"))
        #expect(target.credentials.apikey == "dk" && target.credentials.pin == "9999")
        #expect(target.journalPath == "/tmp/j.sqlite")
        #expect(target.factorsNetwork?.baseURL == "http://127.0.0.1:1234/fn")
        guard case let .embeddedSandbox(plain) = try TargetResolution.decide(Self.sandbox, env: ["SCOLLECT_STATE_DIR": "/srv/scollect-state"]) else { return }
        #expect(plain.database == "/srv/scollect-state/sandbox.sqlite")
        #expect(plain.target(baseURL: "http://127.0.0.1:1", instanceID: "abc", defaultCredentials: Credentials(apikey: "dk", pin: "dp"),
                             defaultFactorsNetwork: FactorsNetworkTarget(baseURL: "x", user: "u", password: "p")).journalPath
                == "/srv/scollect-state/journals/sandbox-abc.sqlite")
    }

    @Test func anOwnerOnlyCredentialsFileIsRead() throws {
        let path = try credentialsFile("# Scollect\nSCOLLECT_APIKEY = file-key\nSCOLLECT_PIN=4321\n", mode: 0o600)
        let credentials = try #require(try TargetResolution.credentials(["SCOLLECT_CREDENTIALS_FILE": path]))
        #expect(credentials.apikey == "file-key" && credentials.pin == "4321")
        // The environment's own pair wins over the file.
        let both = try #require(try TargetResolution.credentials(["SCOLLECT_CREDENTIALS_FILE": path, "SCOLLECT_APIKEY": "env", "SCOLLECT_PIN": "1"]))
        #expect(both.apikey == "env")
    }

    @Test func aCredentialsFileOthersCanReadIsRefused() throws {
        let path = try credentialsFile("SCOLLECT_APIKEY=k\nSCOLLECT_PIN=1\n", mode: 0o644)
        #expect { try TargetResolution.credentials(["SCOLLECT_CREDENTIALS_FILE": path]) } throws: { error in
            "\(error)".contains("can be read by others") && "\(error)".contains("chmod 600")
        }
    }

    @Test func aCredentialsFileWithoutBothLinesOrMissingIsRefused() throws {
        let path = try credentialsFile("SCOLLECT_APIKEY=k\n", mode: 0o600)
        #expect { try TargetResolution.credentials(["SCOLLECT_CREDENTIALS_FILE": path]) } throws: { error in
            "\(error)".contains("must hold SCOLLECT_APIKEY")
        }
        #expect(throws: TargetResolution.Problem.self) { try TargetResolution.credentials(["SCOLLECT_CREDENTIALS_FILE": path + ".missing"]) }
        #expect(try TargetResolution.credentials([:]) == nil)
    }

    @Test func aHalfSetFactorsNetworkEnvironmentIsAProblem() {
        #expect(throws: TargetResolution.Problem.self) {
            try TargetResolution.decide(Self.sandbox, env: ["FACTORS_NETWORK_URL": "https://fn.test"])
        }
    }

    @Test func aJournalKeptPerHostByAnEarlierVersionIsCopiedToTheTenantsName() throws {
        let folder = try makeTemporaryDirectory("tenant")
        let legacy = folder + "/legacy.sqlite"
        let journal = try RunJournal(path: legacy)
        try journal.beginRun(id: "run-old", pipeline: "payments", inputName: "p.csv", inputDigest: "abc", target: "https://api")
        let tenant = folder + "/tenant/journal.sqlite"
        let notice = try TenantJournal.adoptLegacyJournal(from: legacy, to: tenant)
        #expect(notice?.contains(legacy) == true)
        #expect(try RunJournal(path: tenant).run(id: "run-old") != nil)
        #expect(fileMode(tenant) == 0o600)
        // Only once: a tenant's own journal is never overwritten.
        #expect(try TenantJournal.adoptLegacyJournal(from: legacy, to: tenant) == nil)
    }
}
