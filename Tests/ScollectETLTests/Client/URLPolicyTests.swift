import Foundation
@testable import ScollectETL
import ScollectSandbox
import ScollectTestSupport
import Testing

/// Credentials travel in every request: plain http only to a loopback address, refused before
/// anything is sent, and each libcurl handle limited to the protocols its URL may use.
struct URLPolicyTests {
    @Test func httpsAnywhereAndHttpOnlyToLoopback() throws {
        for allowed in ["https://api.scollect.example", "https://10.1.2.3:8443/v1", "http://127.0.0.1:8080", "http://127.9.9.9",
                        "http://localhost:9000/api", "http://[::1]:8000", "HTTP://127.0.0.1"] {
            #expect(throws: Never.self, "\(allowed)") { try URLPolicy.check(allowed, source: "SCOLLECT_URL") }
        }
        for refused in ["http://api.scollect.example", "http://10.0.0.5:8000", "http://127.0.0.1.attacker.example", "http://0x7f000001",
                        "http://2130706433", "http://[::ffff:10.0.0.1]", "http://user:secret@scollect.example", "ftp://127.0.0.1", "127.0.0.1:80", "https://"] {
            let error = #expect(throws: URLPolicy.Refusal.self, "\(refused)") { try URLPolicy.check(refused, source: "SCOLLECT_URL") }
            #expect(error?.description.hasPrefix("SCOLLECT_URL") == true)
            #expect(error?.description.contains("secret") == false, "the URL's password is never repeated")
        }
        #expect(URLPolicy.curlProtocols(for: "http://127.0.0.1:1/login") == "http,https")
        #expect(URLPolicy.curlProtocols(for: "https://api.scollect.example/login") == "https")
        #expect(URLPolicy.curlProtocols(for: "http://api.scollect.example/login") == "https")
    }

    @Test func aPipelineOrFactorsNetworkURLInClearIsRefusedWhenLoaded() throws {
        let text = PipelineLoaderTests.valid.replacingOccurrences(of: "url: sandbox", with: "url: http://scollect.example.com")
        let error = #expect(throws: PipelineError.self) { try PipelineLoader.parse(text, file: "p.yml") }
        #expect(error?.description.contains("plain http") == true && error?.line == 16, "\(String(describing: error))")
        _ = try PipelineLoader.parse(PipelineLoaderTests.valid.replacingOccurrences(of: "url: sandbox", with: "url: http://127.0.0.1:8000"), file: "p.yml")
        #expect(throws: URLPolicy.Refusal.self) {
            try FactorsNetworkTarget.fromEnvironment(["FACTORS_NETWORK_URL": "http://fn.example.com", "FACTORS_NETWORK_USER": "u", "FACTORS_NETWORK_PASSWORD": "p"])
        }
    }

    /// libcurl reads `0x7f000001` as 127.0.0.1, the policy does not call it loopback: the handle
    /// refuses plain http for it, and the sandbox listening there sees no request.
    @Test func theCurlHandleRefusesPlainHttpToAnyHostThePolicyDoesNotCallLoopback() throws {
        let (server, _) = try startSampleSandbox()
        defer { server.stop() }
        let port = try #require(URLComponents(string: server.baseURL)?.port)
        let http = CurlHTTPClient(timeoutSeconds: 5, connectTimeoutSeconds: 2)
        let login = HTTPRequest(method: "POST", url: "", headers: [("Content-Type", "application/json")],
                                body: Array(#"{"apikey": "sandbox-apikey", "pin": "C2C"}"#.utf8))
        var loopback = login
        loopback.url = "http://127.0.0.1:\(port)/login"
        #expect(try http.perform(loopback).status == 200)
        let before = server.stats.admitted

        var disguised = login
        disguised.url = "http://0x7f000001:\(port)/login"
        let error = #expect(throws: TransportError.self) { try http.perform(disguised) }
        #expect(error?.requestMayHaveBeenSent == false, "\(String(describing: error))")
        #expect(server.stats.admitted == before, "nothing reached the server")
    }
}
