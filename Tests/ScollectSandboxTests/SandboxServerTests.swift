import Foundation
import Testing
@testable import ScollectSandbox

/// Faults, admin routes, persistence, reset and seeding.
@Suite struct SandboxServerTests {
    @Test func rateLimitAnswers429WithRetryAfter() async throws {
        let limit = 5
        let f = try SandboxFixture { $0.rateLimit = limit }
        defer { f.stop() }
        let client = f.client
        // Fire 40 requests at once (login included in the limit).
        let results = try await withThrowingTaskGroup(of: HTTPResult.self) { group in
            for _ in 0..<40 {
                group.addTask { try await client.send("POST", "/login", json: ["apikey": "sandbox-apikey", "pin": "C2C"]) }
            }
            var all: [HTTPResult] = []
            for try await r in group { all.append(r) }
            return all
        }
        let limited = results.filter { $0.status == 429 }
        let admitted = results.filter { $0.status == 200 }
        #expect(limited.count > 0)
        #expect(admitted.count >= 1)
        for r in limited {
            #expect(r.json == ["msg": "Too many requests"])
            let retry = try #require(r.header("Retry-After").flatMap(Int.init))
            #expect(retry >= 1)
        }
        let stats = try await client.get("/_sandbox/stats", token: nil)
        #expect(stats.status == 200)
        let max = try #require(stats.json["max_in_any_second"]?.intValue)
        #expect(max <= limit)
        #expect(max >= 1)
        #expect(stats.json["rejected_429"]?.intValue == limited.count)
        #expect(stats.json["admitted"]?.intValue == admitted.count)
        #expect(stats.json["endpoints"]?["login"]?.intValue == admitted.count)
        #expect(stats.json["rate_limit"] == 5)
        #expect(f.server.stats.maxInAnySecond <= limit)

        // After waiting out the window, requests are admitted again.
        try await Task.sleep(nanoseconds: 1_100_000_000)
        #expect(try await client.get("/getportfoliolist", token: try await client.login()).status == 200)
    }

    @Test func sustainedLoadStaysUnderTheLimit() async throws {
        let limit = 20
        let f = try SandboxFixture { $0.rateLimit = limit }
        defer { f.stop() }
        let client = f.client
        let token = try await client.login()
        let start = Date()
        var ok = 0
        while Date().timeIntervalSince(start) < 2.5 {
            let r = try await client.get("/getaccount/R1000", token: token)
            if r.status == 200 { ok += 1 } else { #expect(r.status == 429) }
        }
        let stats = f.server.stats
        #expect(stats.maxInAnySecond <= limit)
        #expect(ok > 0 && stats.maxInAnySecond >= 1, "a starved machine admits fewer, never more than the limit")
        #expect(ok <= limit * 4)
    }

    @Test func adminRoutesChangeFaultsAndResetStats() async throws {
        let f = try SandboxFixture()
        defer { f.stop() }
        let client = f.client
        let token = try await client.login()
        for _ in 0..<3 { _ = try await client.get("/getaccount/R1000", token: token) }
        var stats = try await client.get("/_sandbox/stats", token: nil).json
        #expect(stats["endpoints"] == ["login": 1, "getaccount": 3])
        #expect(stats["admitted"] == 4)
        #expect(stats["rejected_429"] == 0)
        #expect(stats["max_in_any_second"]?.intValue ?? 0 >= 1)
        #expect(stats["rate_limit"] == .null)

        let reset = try await client.send("POST", "/_sandbox/stats/reset")
        #expect(reset.status == 200)
        stats = try await client.get("/_sandbox/stats", token: nil).json
        #expect(stats["admitted"] == 0)
        #expect(stats["max_in_any_second"] == 0)
        #expect(stats["endpoints"] == [:])

        let config = try await client.send("PUT", "/_sandbox/config", json: ["rate_limit": 2, "token_ttl": 60])
        #expect(config.json == ["rate_limit": 2, "token_ttl": 60.0, "drop_after_commit": 0.0, "fault_seed": 0,
                                "http_500": 0.0, "drop_connection": 0.0, "latency_ms": 0.0, "close_after_commit": 0.0,
                                "timeout_after_commit": 0.0, "empty_after_commit": 0.0, "bad_gateway_after_commit": 0.0])
        #expect(f.server.faults == SandboxFaults(rateLimit: 2, tokenTTL: 60))
        try await Task.sleep(nanoseconds: 1_100_000_000)  // let the earlier requests leave the window
        let newToken = try await client.login()
        let claims = try #require(jwtPayload(newToken))
        #expect(claims["exp"]!.intValue! - claims["iat"]!.intValue! == 60)
        // Sent together, so that a loaded machine cannot spread them over more than a second.
        let codes = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<6 { group.addTask { try await client.get("/getportfoliolist", token: newToken).status } }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(codes.contains(429), "\(codes)")

        _ = try await client.send("PUT", "/_sandbox/config", json: ["rate_limit": nil])
        #expect(f.server.faults.rateLimit == nil)
        #expect(f.server.faults.tokenTTL == 60)
        let bad = try await client.send("PUT", "/_sandbox/config", json: ["rate_limit": "fast"])
        #expect(bad.status == 400)

        f.server.setRateLimit(7)
        f.server.setTokenTTL(5)
        #expect(try await client.get("/_sandbox/config", token: nil).json
            == ["rate_limit": 7, "token_ttl": 5.0, "drop_after_commit": 0.0, "fault_seed": 0,
               "http_500": 0.0, "drop_connection": 0.0, "latency_ms": 0.0, "close_after_commit": 0.0,
               "timeout_after_commit": 0.0, "empty_after_commit": 0.0, "bad_gateway_after_commit": 0.0])
    }

    @Test func stateSurvivesARestart() async throws {
        let f = try SandboxFixture()
        defer { f.stop() }
        let token = try await f.client.login()
        _ = try await f.client.send("PUT", "/updatedbase", json: ["filenumber": "R1001", "fieldname": "city", "fieldvalue": "MOBILE"], token: token)
        _ = try await f.client.send("POST", "/insertphone", json: ["filenumber": "R1001", "phonenumber": "407-253-7828", "phonetype": "CELL", "phonestatus": "GOOD", "source": "LOAD"], token: token)
        try f.restart()
        #expect(f.server.port > 0)
        // Same signing secret: the old token still works.
        let account = try await f.client.get("/getaccount/R1001", token: token)
        #expect(account.status == 200)
        #expect(account.json["result"]?[0]?["city"] == "MOBILE")
        let phones = try await f.client.get("/getphones/R1001", token: token)
        #expect(phones.json["result"]?[0]?["phonenumber"] == "407-253-7828")
        #expect(FileManager.default.fileExists(atPath: f.databasePath + "-wal") || FileManager.default.fileExists(atPath: f.databasePath))
        let mode = try f.server.store.query("PRAGMA journal_mode")
        #expect(mode.first?["journal_mode"] == "wal")
    }

    @Test func resetRestoresTheExamplesAndLoadsSeeds() async throws {
        let f = try SandboxFixture()
        defer { f.stop() }
        let token = try await f.client.login()
        _ = try await f.client.send("PUT", "/updatedbase", json: ["filenumber": "R1000", "fieldname": "firstname", "fieldvalue": "CHANGED"], token: token)
        f.server.stop()
        let seed = f.directory.appendingPathComponent("acme.json").path
        try Data(Self.acmeSeed.utf8).write(to: URL(fileURLWithPath: seed))
        try SandboxDatabase.reset(path: f.databasePath, seedFiles: [seed])
        try f.restart()
        let fresh = try await f.client.login()
        #expect(try await f.client.get("/getaccount/R1000", token: token).status == 422)  // new secret
        let r1000 = try await f.client.get("/getaccount/R1000", token: fresh)
        #expect(r1000.json["result"]?[0]?["firstname"] == "IVANA")
        let r3001 = try await f.client.get("/getaccount/R3001", token: fresh)
        #expect(r3001.json["result"]?[0]?["firstname"] == "JOHN")
        #expect(try f.server.store.accountCount() == 8)
    }

    @Test func seedFilesAddAccountsWithDefaults() async throws {
        let f = try SandboxFixture(seeds: ["acme.json": Self.acmeSeed])
        defer { f.stop() }
        let token = try await f.client.login()
        let r = try await f.client.get("/getaccount/r3001", token: token)
        let record = try #require(r.json["result"]?[0]?.objectValue)
        #expect(record.count == 290)
        #expect(record["filenumber"] == "R3001")
        #expect(record["firstname"] == "JOHN")
        #expect(record["birthdate"] == "1965-10-18")
        #expect(record["currentbalance"] == "809.00")
        #expect(record["portfolio"] == "ACME 2026-11")
        #expect(record["clientname"] == "ACME BANK")
        // Defaults of a fresh account, as the document's unset fields look.
        #expect(record["middlename"] == " ")
        #expect(record["activated"] == .null)
        #expect(record["latefees"] == "0.00")
        #expect(record["originalbalance"] == "0.00")
        #expect(record["deceased"] == "NO")
        #expect((record["id"]?.intValue ?? 0) > 3406)

        let phones = try await f.client.get("/getphones/R3001", token: token)
        #expect(phones.json["result"]?[0]?["phonenumber"] == "205-555-0134")
        #expect(phones.json["result"]?[0]?["phonetype"] == "HOME")
        #expect(phones.json["result"]?[0]?["source"] == "LOAD")
        let notes = try await f.client.get("/getnotes/R3001", token: token)
        #expect(notes.json["result"]?[0]?["logmessage"] == "|ACCOUNT IMPORTED INTO DATABASE|")

        let list = try await f.client.get("/getportfoliolist", token: token)
        #expect(list.json["result"]?.arrayValue?.last == [
            "client": "ACME BANK", "dateplaced": "Sun, 01 Nov 2026 00:00:00 GMT", "id": 801, "portfolio": "ACME 2026-11",
        ])
        let portfolio = try await f.client.send("POST", "/get_accounts_in_portfolio", json: ["portfolio": "ACME 2026-11"], token: token)
        let accounts = try #require(portfolio.json["result"]?.arrayValue)
        #expect(accounts.map { $0["lotno"] } == ["R3001", "R3002"])
        #expect(accounts[0]["phone1"] == "205-555-0134")
        #expect(accounts[0]["phonestatus1"] == "UNKNOWN")
        #expect(accounts[0]["Current UPB"] == "809.00")
        #expect(accounts[0]["DOB"] == "1965-10-18")
        #expect(accounts[1]["phone1"] == "")
    }

    @Test func aSeedFieldThatIsNotADbaseColumnIsAnErrorNamingIt() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sandbox-bad-seed-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let seed = directory.appendingPathComponent("bad.json").path
        try Data(#"{"accounts": [{"filenumber": "R1", "portfolio": "P", "fields": {"firstname": "A", "favouritecolour": "red"}}]}"#.utf8)
            .write(to: URL(fileURLWithPath: seed))
        let db = directory.appendingPathComponent("s.sqlite").path
        #expect {
            try SandboxDatabase.reset(path: db, seedFiles: [seed])
        } throws: { error in
            "\(error)".contains("favouritecolour")
        }
        let duplicate = directory.appendingPathComponent("dup.json").path
        try Data(#"{"accounts": [{"filenumber": "r1000", "portfolio": "P"}]}"#.utf8).write(to: URL(fileURLWithPath: duplicate))
        #expect {
            try SandboxDatabase.reset(path: db, seedFiles: [duplicate])
        } throws: { error in
            "\(error)".contains("r1000")
        }
        #expect(throws: (any Error).self) {
            _ = try SandboxServer.start(SandboxConfiguration(databasePath: directory.appendingPathComponent("t.sqlite").path, seedFiles: [seed]))
        }
    }

    @Test func manyConcurrentRequests() async throws {
        let f = try SandboxFixture()
        defer { f.stop() }
        let client = f.client
        let token = try await client.login()
        let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
            for i in 0..<200 {
                group.addTask {
                    switch i % 4 {
                    case 0: return try await client.get("/getaccount/R1001", token: token).status
                    case 1: return try await client.get("/getphones/R1000", token: token).status
                    case 2: return try await client.send("PUT", "/updatedbase", json: ["filenumber": "R1005", "fieldname": "custom1", "fieldvalue": .string("v\(i)")], token: token).status
                    default: return try await client.send("POST", "/insertphone", json: ["filenumber": "R1166", "phonenumber": .string("555-000-\(1000 + i)")], token: token).status
                    }
                }
            }
            var all: [Int] = []
            for try await s in group { all.append(s) }
            return all
        }
        #expect(statuses.allSatisfy { $0 == 200 })
        #expect(try f.server.store.phones("R1166").count == 50)
        #expect(try f.server.store.notes("R1166").count == 50)
    }

    @Test func aBusyPortIsAnError() throws {
        let f = try SandboxFixture()
        defer { f.stop() }
        let other = f.directory.appendingPathComponent("other.sqlite").path
        #expect(throws: (any Error).self) {
            _ = try SandboxServer.start(SandboxConfiguration(databasePath: other, port: f.server.port))
        }
    }

    static let acmeSeed = #"""
    {"portfolios": [{"id": 801, "portfolio": "ACME 2026-11", "client": "ACME BANK", "dateplaced": "2026-11-01"}],
     "accounts": [{"filenumber": "R3001", "portfolio": "ACME 2026-11",
                   "fields": {"firstname": "JOHN", "lastname": "SMITH", "birthdate": "1965-10-18", "currentbalance": "809.00"},
                   "phones": [{"phonenumber": "205-555-0134", "phonetype": "HOME", "phonestatus": "UNKNOWN", "source": "LOAD"}]},
                  {"filenumber": "R3002", "portfolio": "ACME 2026-11", "fields": {"firstname": "JANE"}}]}
    """#
}
