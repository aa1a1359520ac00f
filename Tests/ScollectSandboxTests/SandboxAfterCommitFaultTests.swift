import Foundation
import Testing
@testable import ScollectSandbox

/// The after-commit faults over real HTTP: the write is stored, and the client sees exactly the
/// shape drawn — on the wire, read with a plain socket, and through libcurl (URLSession on Linux).
@Suite struct SandboxAfterCommitFaultTests {
    static let credentials: SandboxJSON = ["apikey": .string(SandboxConfiguration.defaultAPIKey),
                                           "pin": .string(SandboxConfiguration.defaultPIN)]

    /// A payment for R1000 told apart from the others by its amount.
    static func payment(_ cents: Int) -> SandboxJSON {
        SandboxPaymentsTests.payment(["paymentamount": .string(String(format: "%d.%02d", 101 + cents / 100, cents % 100))])
    }

    static func configure(_ fault: AfterCommitFault, _ share: Double) -> (inout SandboxConfiguration) -> Void {
        { configuration in
            switch fault {
            case .close: configuration.closeAfterCommit = share
            case .drop: configuration.dropAfterCommit = share
            case .badGateway: configuration.badGatewayAfterCommit = share
            case .timeout: configuration.timeoutAfterCommit = share
            case .empty: configuration.emptyAfterCommit = share
            }
        }
    }

    /// R1000's payment amounts, read back over HTTP.
    static func amounts(_ f: SandboxFixture, token: String) async throws -> [String] {
        let r = try await f.client.get("/getpayments/R1000", token: token)
        return (r.json["result"]?.arrayValue ?? []).compactMap { $0["paymentamount"]?.stringValue }
    }

    /// The shape a raw answer has, nil for the normal answer.
    static func shape(of received: RawHTTPConnection.Received) -> AfterCommitFault? {
        if received.bytes.isEmpty && received.eof { return .close }
        if !received.complete { return .drop }
        if received.status == 502 { return .badGateway }
        if received.status == 200 && received.body.isEmpty { return .empty }
        if received.json?["state"] == "TIMEOUT" { return .timeout }
        return nil
    }

    // MARK: close_after_commit

    @Test func closeAfterCommitSendsNotOneByteOnAKeptAliveConnection() async throws {
        let f = try SandboxFixture(configure: Self.configure(.close, 1))
        defer { f.stop() }
        let connection = try RawHTTPConnection(port: f.server.port)
        let login = try connection.exchange("POST", "/login", json: Self.credentials)
        #expect(login.complete && login.status == 200)
        #expect(login.headers["connection"]?.lowercased() != "close")
        let token = try #require(login.json?["result"]?["access_token"]?.stringValue)
        // The connection is reused: a read on it is answered in full.
        let account = try connection.exchange("GET", "/getaccount/R1000", token: token)
        #expect(account.complete && account.status == 200)

        let write = try connection.exchange("POST", "/insert_payments_external", json: Self.payment(1), token: token)
        #expect(write.bytes.isEmpty, "\(String(decoding: write.bytes, as: UTF8.self))")
        #expect(write.eof, "an orderly close (FIN), read as end of file")
        #expect(!write.reset)

        // Committed all the same.
        #expect(try await Self.amounts(f, token: token) == ["101.01"])
        let stats = try await f.client.get("/_sandbox/stats", token: nil).json
        #expect(stats["closed_after_commit"] == 1)
        #expect(stats["close_after_commit"] == 1.0)
        #expect(stats["endpoints"]?["insert_payments_external"] == 1)
        // A write that commits nothing is answered in full.
        let unknown = try RawHTTPConnection(port: f.server.port)
            .exchange("POST", "/insert_payments_external", json: SandboxPaymentsTests.payment(["filenumber": "R9999"]), token: token)
        #expect(unknown.complete && unknown.json?["result"]?[1] == 404)
    }

    /// The seed whose `close_after_commit` stream, at share 0.5, closes the first committed write
    /// and answers the second.
    static func seedClosingFirstWriteOnly() throws -> UInt64 {
        try #require((UInt64(0)..<1000).first { seed in
            let traffic = SandboxTraffic(faults: SandboxFaults(rateLimit: nil, tokenTTL: 900, faultSeed: seed, closeAfterCommit: 0.5))
            return traffic.drawAfterCommitFault() == .close && traffic.drawAfterCommitFault() == nil
        })
    }

    /// The curl command line (libcurl 7.88 on Debian 12) re-sends a request by itself when a reused
    /// connection closes before any byte of the answer: one call, a clean success, two commits.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/curl")))
    func curlSendsTheWriteAgainByItselfAndReportsSuccess() async throws {
        let seed = try Self.seedClosingFirstWriteOnly()
        let f = try SandboxFixture { $0.closeAfterCommit = 0.5; $0.faultSeed = seed }
        defer { f.stop() }
        let token = try await f.client.login()
        let body = f.seedPath("payment.json")
        try Data(Self.payment(2).jsonString.utf8).write(to: URL(fileURLWithPath: body))
        let auth = "Authorization: Bearer \(token)"
        // A read, then the payment on the same keep-alive connection.
        let (status, output) = await Self.run("/usr/bin/curl", [
            "-s", "-o", "/dev/null", "-H", auth, f.server.baseURL + "/getaccount/R1000",
            "--next", "-s", "-H", auth, "-H", "Content-Type: application/json", "--data-binary", "@" + body,
            f.server.baseURL + "/insert_payments_external",
        ])
        #expect(status == 0)
        #expect(try SandboxJSON.parse(output) == SandboxPaymentsTests.inserted, "curl sees one clean success")
        #expect(try await Self.amounts(f, token: token) == ["101.02", "101.02"], "booked twice")
        #expect(f.server.stats.endpoints["insert_payments_external"] == 2)
        #expect(f.server.stats.closedAfterCommit == 1)
    }

    /// FoundationNetworking's URLSession (libcurl underneath) re-sends the request on a fresh
    /// connection too, but not its body: the re-sent request waits for a body that never comes,
    /// and the call fails with a timeout. One commit, two requests seen by the server.
    @Test func urlSessionSendsTheRequestAgainWithoutItsBodyAndTimesOut() async throws {
        let f = try SandboxFixture(configure: Self.configure(.close, 1))
        defer { f.stop() }
        let client = SandboxClient(baseURL: f.server.baseURL, timeoutSeconds: 5)
        let token = try await client.login()  // opens the connection libcurl keeps alive
        let error = await #expect(throws: (any Error).self) {
            _ = try await client.send("POST", "/insert_payments_external", json: Self.payment(3), token: token)
        }
        let nsError = error.map { $0 as NSError }
        #expect(try await Self.amounts(f, token: token) == ["101.03"])
        #expect(f.server.stats.closedAfterCommit == 1)
        // When libcurl still held the connection as alive (the usual case), it sent the request
        // again, without its body, and the call timed out; on a loaded machine the connection
        // may be gone first, and the close is reported as it is. Either way: one commit.
        let resent = f.server.stats.endpoints["insert_payments_external"] ?? 0
        #expect(resent == 1 || resent == 2)
        if resent == 2 {
            #expect(nsError?.domain == NSURLErrorDomain && nsError?.code == NSURLErrorTimedOut, "\(String(describing: error))")
        }
    }

    /// Runs a program off the cooperative pool; its exit status and standard output.
    static func run(_ path: String, _ arguments: [String]) async -> (Int32, Data) {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                let process = Process()
                process.executableURL = URL(fileURLWithPath: path)
                process.arguments = arguments
                let pipe = Pipe()
                process.standardOutput = pipe
                do {
                    try process.run()
                } catch {
                    continuation.resume(returning: (-1, Data()))
                    return
                }
                let output = pipe.fileHandleForReading.readDataToEndOfFile()
                process.waitUntilExit()
                continuation.resume(returning: (process.terminationStatus, output))
            }
        }
    }

    // MARK: The answered shapes

    @Test(arguments: [AfterCommitFault.timeout, .empty, .badGateway])
    func answeredShapeFollowsTheCommit(_ fault: AfterCommitFault) async throws {
        let f = try SandboxFixture(configure: Self.configure(fault, 1))
        defer { f.stop() }
        let connection = try RawHTTPConnection(port: f.server.port)
        let token = try #require(try connection.exchange("POST", "/login", json: Self.credentials)
            .json?["result"]?["access_token"]?.stringValue)

        let write = try connection.exchange("POST", "/insert_payments_external", json: Self.payment(4), token: token)
        #expect(write.complete)
        #expect(Self.shape(of: write) == fault)
        switch fault {
        case .timeout:
            #expect(write.status == 200)
            #expect(write.json?.objectValue?.keys.sorted() == ["state", "status"])
            #expect(write.json?["status"]?.stringValue?.isEmpty == false)
        case .empty:
            #expect(write.status == 200)
            #expect(write.headers["content-length"] == "0")
            #expect(write.body.isEmpty)
        case .badGateway:
            #expect(write.status == 502)
            #expect(write.headers["content-type"] == "text/html")
            #expect(String(decoding: write.body, as: UTF8.self).contains("<h1>502 Bad Gateway</h1>"))
            #expect(write.json == nil)
        default:
            Issue.record("not an answered shape: \(fault)")
        }
        // The connection stays open after the answer.
        let account = try connection.exchange("GET", "/getaccount/R1000", token: token)
        #expect(account.complete && account.status == 200)

        // Through URLSession too, on another endpoint; both writes are stored.
        let phone = try await f.client.send("POST", "/insertphone", json: [
            "filenumber": "R1000", "phonenumber": "407-253-7828", "phonetype": "CELL", "phonestatus": "GOOD", "source": "LOAD",
        ], token: token)
        #expect(phone.status == (fault == .badGateway ? 502 : 200))
        #expect(fault != .empty || phone.body.isEmpty)
        #expect(fault != .timeout || phone.json["state"] == "TIMEOUT")
        #expect(try await Self.amounts(f, token: token) == ["101.04"])
        let phones = try await f.client.get("/getphones/R1000", token: token)
        #expect(phones.json["result"]?.arrayValue?.contains { $0["phonenumber"] == "407-253-7828" } == true)
        let stats = try await f.client.get("/_sandbox/stats", token: nil).json
        #expect(stats[fault.statsKey] == 2)
        #expect(AfterCommitFault.allCases.filter { $0 != fault }.allSatisfy { stats[$0.statsKey] == 0 })
    }

    // MARK: Configuration

    @Test func sharesAreSetAtStartAndAtRunTimeAndReported() async throws {
        let f = try SandboxFixture { $0.closeAfterCommit = 0.25; $0.timeoutAfterCommit = 0.5
            $0.emptyAfterCommit = 0.125; $0.badGatewayAfterCommit = 0.75 }
        defer { f.stop() }
        let client = f.client
        var config = try await client.get("/_sandbox/config", token: nil).json
        #expect(config["close_after_commit"] == 0.25)
        #expect(config["timeout_after_commit"] == 0.5)
        #expect(config["empty_after_commit"] == 0.125)
        #expect(config["bad_gateway_after_commit"] == 0.75)
        #expect(config["drop_after_commit"] == 0.0)

        for fault in AfterCommitFault.allCases {
            for bad: SandboxJSON in [1.5, -0.1, "x", nil] {
                #expect(try await client.send("PUT", "/_sandbox/config", json: [fault.configKey: bad]).status == 400)
            }
        }
        config = try await client.send("PUT", "/_sandbox/config", json: ["close_after_commit": 0, "timeout_after_commit": 0,
                                                                         "empty_after_commit": 1, "bad_gateway_after_commit": 0]).json
        #expect(config["empty_after_commit"] == 1.0)
        #expect(config["bad_gateway_after_commit"] == 0.0)
        #expect(f.server.faults.emptyAfterCommit == 1)
        #expect(f.server.faults.closeAfterCommit == 0)

        let token = try await client.login()
        let r = try await client.send("PUT", "/updatedbase", json: ["filenumber": "R1000", "fieldname": "city", "fieldvalue": "MOBILE"], token: token)
        #expect(r.status == 200 && r.body.isEmpty)
        #expect(try f.server.store.account("R1000")?["city"] == "MOBILE")

        let stats = try await client.get("/_sandbox/stats", token: nil).json
        for fault in AfterCommitFault.allCases {
            #expect(stats[fault.configKey] != nil, "\(fault.configKey)")
            #expect(stats[fault.statsKey] == (fault == .empty ? 1 : 0), "\(fault.statsKey)")
        }
        _ = try await client.send("POST", "/_sandbox/stats/reset")
        #expect(try await client.get("/_sandbox/stats", token: nil).json["empty_answers_after_commit"] == 0)

        f.server.setShare(0.1, of: .close)
        #expect(f.server.faults.closeAfterCommit == 0.1)
        #expect(f.server.faults.share(of: .close) == 0.1)

        for fault in AfterCommitFault.allCases {
            var outOfRange = SandboxConfiguration(databasePath: f.seedPath("\(fault.rawValue).sqlite"))
            Self.configure(fault, 1.5)(&outOfRange)
            #expect(throws: (any Error).self) { _ = try SandboxServer.start(outOfRange) }
        }
    }

    // MARK: Seeded draws

    /// Every shape at once, a fresh connection per write: the same seed gives the same shapes for
    /// the same order of writes, the ones `SandboxTraffic` predicts, and every write is stored.
    @Test func theSameSeedGivesTheSameShapesOverHTTP() async throws {
        let f = try SandboxFixture()
        defer { f.stop() }
        var shares: [String: SandboxJSON] = ["fault_seed": 11]
        for fault in AfterCommitFault.allCases { shares[fault.configKey] = 0.15 }
        _ = try await f.client.send("PUT", "/_sandbox/config", json: .object(shares))
        let token = try await f.client.login()
        func outcomes(from cents: Int) throws -> [AfterCommitFault?] {
            try (0..<24).map { i in
                let received = try RawHTTPConnection(port: f.server.port)
                    .exchange("POST", "/insert_payments_external", json: Self.payment(cents + i), token: token)
                if Self.shape(of: received) == nil { #expect(received.json == SandboxPaymentsTests.inserted) }
                return Self.shape(of: received)
            }
        }
        let first = try outcomes(from: 0)
        _ = try await f.client.send("PUT", "/_sandbox/config", json: ["fault_seed": 11])
        let second = try outcomes(from: 100)
        #expect(first == second)

        let expected = SandboxTraffic(faults: SandboxFaults(rateLimit: nil, tokenTTL: 900, dropAfterCommit: 0.15, faultSeed: 11,
                                                            closeAfterCommit: 0.15, timeoutAfterCommit: 0.15,
                                                            emptyAfterCommit: 0.15, badGatewayAfterCommit: 0.15))
        #expect(first == (0..<24).map { _ in expected.drawAfterCommitFault() })
        #expect(Set(first.compactMap { $0 }) == Set(AfterCommitFault.allCases), "seed 11 draws every shape in 24 writes")
        #expect(first.contains(nil))

        #expect(try await Self.amounts(f, token: token).count == 48, "every write was committed")
        let stats = try await f.client.get("/_sandbox/stats", token: nil).json
        for fault in AfterCommitFault.allCases {
            #expect(stats[fault.statsKey]?.intValue == 2 * first.filter { $0 == fault }.count, "\(fault.statsKey)")
        }
    }

    @Test func drawsAreSeededAndEachShapeHasItsOwnStream() {
        func draws(seed: UInt64, _ change: (inout SandboxFaults) -> Void) -> [AfterCommitFault?] {
            var faults = SandboxFaults(rateLimit: nil, tokenTTL: 900, faultSeed: seed)
            change(&faults)
            let traffic = SandboxTraffic(faults: faults)
            return (0..<200).map { _ in traffic.drawAfterCommitFault() }
        }
        let all: (inout SandboxFaults) -> Void = { faults in
            for fault in AfterCommitFault.allCases { faults[keyPath: fault.share] = 0.2 }
        }
        #expect(draws(seed: 5, all) == draws(seed: 5, all))
        #expect(draws(seed: 5, all) != draws(seed: 6, all))
        #expect(draws(seed: 5) { _ in }.allSatisfy { $0 == nil })

        // Turning the shapes after `drop` in the order on does not move the drops; the drops are
        // those of the seed's plain stream, as before the other shapes existed.
        let dropOnly = draws(seed: 5) { $0.dropAfterCommit = 0.3 }
        let withOthers = draws(seed: 5) { $0.dropAfterCommit = 0.3; $0.timeoutAfterCommit = 0.5
            $0.emptyAfterCommit = 0.5; $0.badGatewayAfterCommit = 0.5 }
        #expect(dropOnly.map { $0 == .drop } == withOthers.map { $0 == .drop })
        var plain = SplitMix64(seed: 5)
        #expect(dropOnly.map { $0 == .drop } == (0..<200).map { _ in plain.nextUnit() < 0.3 })

        // Each shape alone at 0.2 picks about a fifth of the writes, and they pick different ones.
        var picks: [AfterCommitFault: [Bool]] = [:]
        for fault in AfterCommitFault.allCases {
            let alone = draws(seed: 5) { $0[keyPath: fault.share] = 0.2 }
            #expect(alone.allSatisfy { $0 == nil || $0 == fault })
            let count = alone.filter { $0 == fault }.count
            #expect(count > 20 && count < 60, "\(fault): \(count)")
            picks[fault] = alone.map { $0 == fault }
        }
        #expect(Set(picks.values).count == AfterCommitFault.allCases.count)

        // Two shapes drawing the same write: the first in the order applies and is counted.
        let traffic = SandboxTraffic(faults: SandboxFaults(rateLimit: nil, tokenTTL: 900, timeoutAfterCommit: 1, emptyAfterCommit: 1))
        #expect(traffic.drawAfterCommitFault() == .timeout)
        #expect(traffic.currentStats.timedOutAfterCommit == 1 && traffic.currentStats.emptyAnswersAfterCommit == 0)
        traffic.update { $0.closeAfterCommit = 1 }
        #expect(traffic.drawAfterCommitFault() == .close)
        #expect(traffic.currentStats.closedAfterCommit == 1)
    }
}
