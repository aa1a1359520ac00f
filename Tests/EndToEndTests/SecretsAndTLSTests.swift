import Foundation
import ScollectETL
import ScollectSandbox
import ScollectTestSupport
import Testing

/// Credentials come only from the environment or an owner-only file; TLS certificates are
/// verified, with no switch to turn that off; each exit code an operator can meet, as the CLI
/// returns it.
@Suite(.serialized)
struct SecretsAndTLSTests {
    let cli = CommandLineTests()

    @Test func aCredentialsFileMustBeReadableByItsOwnerOnly() throws {
        let (server, folder) = try startSampleSandbox()
        defer { server.stop() }
        let pipeline = try cli.writePipeline(in: folder, target: "https://scollect.invalid")
        let file = folder + "/credentials"
        try "SCOLLECT_APIKEY=\(SandboxConfiguration.defaultAPIKey)\nSCOLLECT_PIN=\(SandboxConfiguration.defaultPIN)\n".write(toFile: file, atomically: true, encoding: .utf8)
        chmod(file, 0o644)
        let env = ["SCOLLECT_URL": server.baseURL, "SCOLLECT_CREDENTIALS_FILE": file, "SCOLLECT_JOURNAL": folder + "/j.sqlite"]
        let refused = try cli.run(["run", pipeline, "--quiet"], environment: env, in: folder)
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("can be read by others") && refused.stderr.contains("chmod 600"))
        chmod(file, 0o600)
        let accepted = try cli.run(["run", pipeline, "--quiet"], environment: env, in: folder)
        #expect(accepted.status == 1, "stderr: \(accepted.stderr)")
        for secret in [SandboxConfiguration.defaultAPIKey, "eyJ"] {
            #expect(!accepted.stdout.contains(secret) && !accepted.stderr.contains(secret))
        }
    }

    @Test func refusedCredentialsExitThreeFromTheCommandLine() throws {
        let (server, folder) = try startSampleSandbox()
        defer { server.stop() }
        let pipeline = try cli.writePipeline(in: folder, target: "https://scollect.invalid")
        let outcome = try cli.run(["run", pipeline, "--quiet"], environment: [
            "SCOLLECT_URL": server.baseURL, "SCOLLECT_APIKEY": SandboxConfiguration.defaultAPIKey, "SCOLLECT_PIN": "WRONG-PIN-123",
        ], in: folder)
        #expect(outcome.status == 3, "stderr: \(outcome.stderr)")
        #expect(!outcome.stderr.contains("WRONG-PIN-123") && !outcome.stdout.contains("WRONG-PIN-123"))
    }

    @Test func anEmptyFileExitsZeroFromTheCommandLine() throws {
        let folder = try makeTemporaryDirectory("cli")
        try "".write(toFile: folder + "/empty.csv", atomically: true, encoding: .utf8)
        let pipeline = try cli.writePipeline(in: folder, target: "sandbox") {
            $0.replacingOccurrences(of: repositoryPath("SampleData") + "/placement.csv", with: folder + "/empty.csv")
        }
        let outcome = try cli.run(["run", pipeline], environment: [:], in: folder)
        #expect(outcome.status == 0, "stderr: \(outcome.stderr)")
        #expect(outcome.stderr.contains("nothing to load"))
    }

    /// A TLS server with a self-signed certificate for 127.0.0.1 (openssl s_server).
    func startSelfSignedServer(in folder: String) throws -> (Process, Int) {
        let make = Process()
        make.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        make.arguments = ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", folder + "/key.pem", "-out", folder + "/cert.pem",
                          "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"]
        make.standardOutput = FileHandle.nullDevice
        make.standardError = FileHandle.nullDevice
        try make.run()
        make.waitUntilExit()
        for _ in 0..<10 {
            let port = Int.random(in: 20000...60000)
            let server = Process()
            server.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
            server.arguments = ["s_server", "-accept", "127.0.0.1:\(port)", "-cert", folder + "/cert.pem", "-key", folder + "/key.pem", "-www", "-quiet"]
            server.standardOutput = FileHandle.nullDevice
            server.standardError = FileHandle.nullDevice
            server.standardInput = Pipe()
            try server.run()
            for _ in 0..<50 {
                Thread.sleep(forTimeInterval: 0.05)
                if !server.isRunning { break }
                let http = CurlHTTPClient(timeoutSeconds: 1, connectTimeoutSeconds: 1)
                do {
                    _ = try http.perform(HTTPRequest(method: "GET", url: "http://127.0.0.1:\(port)/"))
                    return (server, port)
                } catch let error as TransportError where !error.message.lowercased().contains("connect") {
                    return (server, port)  // something listens (it speaks TLS, not plain HTTP)
                } catch {}
            }
            server.terminate()
        }
        struct NoServer: Error {}
        throw NoServer()
    }

    @Test func aSelfSignedCertificateIsRefusedUnlessItsCAIsNamed() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl") else { return }
        let folder = try makeTemporaryDirectory("tls")
        let (server, port) = try startSelfSignedServer(in: folder)
        defer { server.terminate() }
        // openssl's test server does not answer a POST: short timeouts, few attempts.
        let pipeline = try cli.writePipeline(in: folder, target: "https://scollect.invalid") {
            $0.replacingOccurrences(of: "  max_in_flight: 4", with: "  max_in_flight: 4\n  timeout_seconds: 2\n  retry: { max_attempts: 2, base_delay_seconds: 0.1, down_after_seconds: 1 }")
        }
        let env = ["SCOLLECT_URL": "https://127.0.0.1:\(port)", "SCOLLECT_APIKEY": "k", "SCOLLECT_PIN": "p", "SCOLLECT_JOURNAL": folder + "/j.sqlite"]
        let refused = try cli.run(["run", pipeline, "--quiet"], environment: env, in: folder)
        #expect(refused.status == 6, "stderr: \(refused.stderr)")
        #expect(refused.stderr.lowercased().contains("certificate"), "stderr: \(refused.stderr)")

        // Trusting its CA explicitly gets past the handshake (the server is no Scollect, so the run still fails).
        var trusting = env
        trusting["SCOLLECT_CA_BUNDLE"] = folder + "/cert.pem"
        let handshake = try cli.run(["run", pipeline, "--quiet"], environment: trusting, in: folder)
        #expect(!handshake.stderr.lowercased().contains("certificate"), "stderr: \(handshake.stderr)")
    }

    /// With an HTTP proxy in the environment, every connection to the API is a CONNECT tunnel:
    /// the requests the tool writes itself (origin form) reach the server, never the proxy, and
    /// the run ends as it does without the proxy.
    @Test func aProxyFromTheEnvironmentCarriesEveryCallThroughATunnel() throws {
        let (server, folder) = try startSampleSandbox()
        defer { server.stop() }
        let proxy = try ConnectProxy()
        defer { proxy.stop() }
        let pipeline = try cli.writePipeline(in: folder, target: "https://scollect.invalid", edit: CommandLineTests.downAfterOneSecond)
        let env = ["SCOLLECT_URL": server.baseURL, "SCOLLECT_APIKEY": SandboxConfiguration.defaultAPIKey, "SCOLLECT_PIN": SandboxConfiguration.defaultPIN,
                   "SCOLLECT_JOURNAL": folder + "/j.sqlite", "http_proxy": "http://127.0.0.1:\(proxy.port)", "no_proxy": "", "NO_PROXY": ""]
        let run = try cli.run(["run", pipeline, "--quiet"], environment: env, in: folder)
        #expect(run.status == 1, "stderr: \(run.stderr)")
        let port = try #require(URLComponents(string: server.baseURL)?.port)
        #expect(!proxy.firstLines.isEmpty)
        #expect(proxy.firstLines.allSatisfy { $0 == "CONNECT 127.0.0.1:\(port) HTTP/1.1" }, "\(Set(proxy.firstLines))")
    }
}
