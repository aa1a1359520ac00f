import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
@testable import ScollectSandbox

/// A response as the tests look at it.
struct HTTPResult {
    let status: Int
    let headers: [String: String]
    let body: Data

    var json: SandboxJSON {
        (try? SandboxJSON.parse(body)) ?? .string(String(decoding: body, as: UTF8.self))
    }

    func header(_ name: String) -> String? {
        headers.first { $0.key.lowercased() == name.lowercased() }?.value
    }
}

/// Real HTTP against a running sandbox.
struct SandboxClient {
    let baseURL: String
    let session: URLSession

    init(baseURL: String, timeoutSeconds: TimeInterval = 30) {
        self.baseURL = baseURL
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeoutSeconds
        self.session = URLSession(configuration: configuration)
    }

    func send(_ method: String, _ path: String, json: SandboxJSON? = nil, token: String? = nil,
              authorization: String? = nil) async throws -> HTTPResult {
        var request = URLRequest(url: URL(string: baseURL + path)!)
        request.httpMethod = method
        if let json {
            request.httpBody = Data(json.jsonString.utf8)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        if let authorization { request.setValue(authorization, forHTTPHeaderField: "Authorization") }
        let (data, response) = try await session.data(for: request)
        let http = response as! HTTPURLResponse
        var headers: [String: String] = [:]
        for (key, value) in http.allHeaderFields {
            headers["\(key)"] = "\(value)"
        }
        return HTTPResult(status: http.statusCode, headers: headers, body: data)
    }

    func get(_ path: String, token: String?) async throws -> HTTPResult {
        try await send("GET", path, token: token)
    }

    func login(apikey: String = SandboxConfiguration.defaultAPIKey,
               pin: String = SandboxConfiguration.defaultPIN) async throws -> String {
        let r = try await send("POST", "/login", json: ["apikey": .string(apikey), "pin": .string(pin)])
        guard let token = r.json["result"]?["access_token"]?.stringValue else {
            throw SandboxError("login failed: \(r.status) \(String(decoding: r.body, as: UTF8.self))")
        }
        return token
    }
}

/// A server on port 0 over a database in a fresh temporary directory.
final class SandboxFixture {
    let directory: URL
    let databasePath: String
    var server: SandboxServer
    var client: SandboxClient

    init(seeds: [String: String] = [:], configure: (inout SandboxConfiguration) -> Void = { _ in }) throws {
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("scollect-sandbox-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        databasePath = directory.appendingPathComponent("sandbox.sqlite").path
        var seedPaths: [String] = []
        for (name, text) in seeds.sorted(by: { $0.key < $1.key }) {
            let path = directory.appendingPathComponent(name).path
            try Data(text.utf8).write(to: URL(fileURLWithPath: path))
            seedPaths.append(path)
        }
        var configuration = SandboxConfiguration(databasePath: databasePath, port: 0, seedFiles: seedPaths)
        configure(&configuration)
        server = try SandboxServer.start(configuration)
        client = SandboxClient(baseURL: server.baseURL)
    }

    /// Stops the server and starts a new one on the same database.
    func restart(configure: (inout SandboxConfiguration) -> Void = { _ in }) throws {
        server.stop()
        var configuration = SandboxConfiguration(databasePath: databasePath, port: 0)
        configure(&configuration)
        server = try SandboxServer.start(configuration)
        client = SandboxClient(baseURL: server.baseURL)
    }

    func seedPath(_ name: String) -> String {
        directory.appendingPathComponent(name).path
    }

    func stop() {
        server.stop()
        try? FileManager.default.removeItem(at: directory)
    }
}

/// Decodes the payload of a JWT (no verification).
func jwtPayload(_ token: String) -> SandboxJSON? {
    let parts = token.split(separator: ".")
    guard parts.count == 3, let data = SandboxJWT.decodeBase64URL(parts[1]) else { return nil }
    return try? SandboxJSON.parse(data)
}
