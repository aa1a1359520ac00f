import Foundation
import GRDB
import Hummingbird

/// The documented routes, with the document's envelopes (errors inside HTTP 200 included),
/// plus the admin routes under `/_sandbox/`.
struct SandboxResponder: HTTPResponder {
    typealias Context = BasicRequestContext
    let api: SandboxAPI

    func respond(to request: Request, context: Context) async throws -> Response {
        try await api.handle(request)
    }
}

/// A finished response: status, JSON body, extra headers.
struct Reply {
    var status: HTTPResponse.Status = .ok
    var body: [UInt8]
    var retryAfter: Int?
    /// Sent as `Retry-After` instead of `retryAfter` (a fault: a value no client should trust).
    var retryAfterText: String?
    var contentType = "application/json"
    /// The request changed the database (a fault may then drop the connection instead of answering).
    var committed = false

    /// The reply of a write that committed.
    func afterCommit() -> Reply {
        var reply = self
        reply.committed = true
        return reply
    }

    /// A body written piece by piece instead of `body` (a listing that grows with the data).
    var stream: ResponseBody?

    var response: Response {
        var headers: HTTPFields = [.contentType: contentType]
        if let retryAfterText { headers[.retryAfter] = retryAfterText } else if let retryAfter { headers[.retryAfter] = String(retryAfter) }
        return Response(status: status, headers: headers, body: stream ?? .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    // MARK: Envelopes

    /// `{"result": <raw>, "state": "SUCCESS"}`
    static func result(raw: [UInt8]) -> Reply {
        var w = JSONWriter(capacity: raw.count + 32)
        w.raw(#"{"result":"#)
        w.bytes.append(contentsOf: raw)
        w.raw(#","state":"SUCCESS"}"#)
        return Reply(body: w.bytes)
    }

    static func result(_ value: SandboxJSON) -> Reply {
        json(["result": value, "state": "SUCCESS"])
    }

    /// `{"result": {"error": msg}, "state": "SUCCESS"}`
    static func error(_ message: String) -> Reply {
        result(["error": .string(message)])
    }

    /// `{"result": [{"error": msg}, code], "state": "SUCCESS"}` (the code is not an HTTP status)
    static func error(_ message: String, code: Int) -> Reply {
        result([["error": .string(message)], .int(code)])
    }

    /// `{"result": {"success": msg}, "state": "SUCCESS"}`
    static func success(_ message: String) -> Reply {
        result(["success": .string(message)])
    }

    /// `{"result": {"result": []}, "state": "SUCCESS"}`
    static let emptyResult = result(["result": []])

    /// `{"msg": text}` with an HTTP status (authentication failures, 429, bad requests).
    static func msg(_ status: HTTPResponse.Status, _ text: String) -> Reply {
        var reply = json(["msg": .string(text)])
        reply.status = status
        return reply
    }

    static func json(_ value: SandboxJSON, status: HTTPResponse.Status = .ok) -> Reply {
        var w = JSONWriter()
        w.write(value)
        return Reply(status: status, body: w.bytes)
    }
}

final class SandboxAPI: Sendable {
    let store: SandboxStore
    let traffic: SandboxTraffic
    let jwt: SandboxJWT
    /// Every tenant's apikey (the first is the configured one).
    let apikeys: [String]
    let pin: String
    /// What the Factors Network emulation's HTTP Basic authentication accepts.
    let factorsNetworkUser: String
    let factorsNetworkPassword: String
    /// Tokens whose signature and claims checked out, with their `exp`: a client sends the
    /// same token many times, and verifying it (base64, JSON, HMAC) is most of a request's cost.
    private let verifiedTokens = VerifiedTokens()

    init(store: SandboxStore, traffic: SandboxTraffic, apikeys: [String], pin: String,
         factorsNetworkUser: String = SandboxConfiguration.defaultFactorsNetworkUser,
         factorsNetworkPassword: String = SandboxConfiguration.defaultFactorsNetworkPassword) {
        self.factorsNetworkUser = factorsNetworkUser
        self.factorsNetworkPassword = factorsNetworkPassword
        self.store = store
        self.traffic = traffic
        self.jwt = SandboxJWT(key: store.jwtSecret)
        self.apikeys = apikeys
        self.pin = pin
    }

    var pool: DatabasePool { store.pool }

    struct Route {
        let method: HTTPRequest.Method
        /// Takes one path parameter (`/getaccount/<filenumber>`).
        let parameter: Bool
        let auth: Bool
    }

    static let routes: [String: Route] = [
        "login": Route(method: .post, parameter: false, auth: false),
        "getportfoliolist": Route(method: .get, parameter: false, auth: true),
        "get_accounts_in_portfolio": Route(method: .post, parameter: false, auth: true),
        "getaccount": Route(method: .get, parameter: true, auth: true),
        "getaccountbysocial": Route(method: .get, parameter: true, auth: true),
        "getphones": Route(method: .get, parameter: true, auth: true),
        "getnotes": Route(method: .get, parameter: true, auth: true),
        "getpayments": Route(method: .get, parameter: true, auth: true),
        "getattempts": Route(method: .get, parameter: true, auth: true),
        "getemails": Route(method: .get, parameter: true, auth: true),
        "getemailstats": Route(method: .get, parameter: true, auth: true),
        "updatedbase": Route(method: .put, parameter: false, auth: true),
        "insertphone": Route(method: .post, parameter: false, auth: true),
        "insert_payments_external": Route(method: .post, parameter: false, auth: true),
        "insert_payplan_external": Route(method: .post, parameter: false, auth: true),
        "update_payment_external": Route(method: .post, parameter: false, auth: true),
        "InsertNoteline": Route(method: .post, parameter: false, auth: true),
        "insertattempt": Route(method: .post, parameter: false, auth: true),
        "updatephone": Route(method: .put, parameter: false, auth: true),
        "updatepermissions": Route(method: .put, parameter: false, auth: true),
        "createCallback": Route(method: .post, parameter: false, auth: true),
        "get_lastpayinfo": Route(method: .post, parameter: false, auth: true),
    ]

    /// What to send back for a request.
    enum Answer {
        case complete(Response)
        /// Committed, but the `drop_after_commit` fault drew it (or `drop_connection` before
        /// handling): send part of it and hang up.
        case truncated(Reply)
        /// Committed, but the `close_after_commit` fault drew it: hang up without a byte.
        case closed
    }

    func handle(_ request: Request) async throws -> Response {
        switch await answer(request) {
        case .complete(let response): return response
        case .truncated(let reply): return reply.response
        case .closed: throw ConnectionClosedWithoutAnswer()
        }
    }

    func answer(_ request: Request) async -> Answer {
        let path = request.uri.path
        let components = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        guard let first = components.first.map(String.init) else {
            return .complete(Reply.msg(.notFound, "Not Found").response)
        }
        if first == "_sandbox" {
            return .complete(await admin(request, Array(components.dropFirst()).map(String.init)).response)
        }
        let caller = request.headers[.authorization].map { String($0.suffix(12)) } ?? "anonymous"
        if case .limited(let seconds) = traffic.admit(endpoint: first.isEmpty ? "/" : first, caller: caller) {
            var reply = Reply.msg(.tooManyRequests, "Too many requests")
            reply.retryAfter = seconds
            reply.retryAfterText = traffic.currentFaults.retryAfterHeader
            return .complete(reply.response)
        }
        let faults = traffic.currentFaults
        if faults.latencyMs > 0 { try? await Task.sleep(nanoseconds: UInt64(faults.latencyMs * 1_000_000)) }
        switch traffic.drawRequestFault() {
        case .serverError:
            return .complete(Reply.msg(.internalServerError, faults.serverErrorMessage).response)
        case .drop:
            return .truncated(Reply.msg(.internalServerError, "connection dropped (injected fault)"))
        case .none:
            break
        }
        let reply: Reply
        do {
            reply = try await route(request, first, Array(components.dropFirst()))
        } catch let error as BadRequest {
            reply = Reply.msg(.badRequest, error.message)
        } catch {
            reply = Reply.msg(.internalServerError, "Internal server error: \(error)")
        }
        if reply.committed, let fault = traffic.drawAfterCommitFault() { return fault.answer(instead: reply) }
        return .complete(reply.response)
    }

    struct BadRequest: Error { let message: String }

    private func route(_ request: Request, _ name: String, _ rest: [Substring]) async throws -> Reply {
        if name == FactorsNetworkEmulation.prefix { return try await factorsNetwork(request, rest) }
        guard let route = Self.routes[name], rest.count == (route.parameter ? 1 : 0),
              !(route.parameter && rest[0].isEmpty)
        else { return Reply.msg(.notFound, "Not Found") }
        guard request.method == route.method else { return Reply.msg(.methodNotAllowed, "Method Not Allowed") }
        if route.auth, let failure = authenticate(request) { return failure }
        let parameter = route.parameter ? (rest[0].removingPercentEncoding ?? String(rest[0])) : ""

        switch name {
        case "login": return login(try await body(request))
        case "getportfoliolist": return try await portfolioList()
        case "get_accounts_in_portfolio": return try await accountsInPortfolio(try await body(request))
        case "getaccount": return try await account(parameter)
        case "getaccountbysocial": return try await accountBySocial(parameter)
        case "getphones": return try await phones(parameter)
        case "getnotes": return try await notes(parameter)
        case "getpayments": return try await payments(parameter)
        case "getattempts": return try await listOrEmpty(.attempts, parameter)
        case "getemails": return try await listOrEmpty(.emails, parameter)
        case "getemailstats": return try await listOrEmpty(.emailstats, parameter)
        case "updatedbase": return try await updateDbase(try await body(request))
        case "insertphone": return try await insertPhone(try await body(request))
        case "insert_payments_external": return try await insertPayment(try await body(request))
        case "insert_payplan_external": return try await insertPaymentPlan(try await body(request))
        case "update_payment_external": return try await updatePendingPayments(try await body(request))
        case "InsertNoteline": return try await insertNoteline(try await body(request))
        case "insertattempt": return try await insertAttempt(try await body(request))
        case "updatephone": return try await updatePhone(try await body(request))
        case "updatepermissions": return try await updatePermissions(try await body(request))
        case "createCallback": return try await createCallback(try await body(request))
        case "get_lastpayinfo": return try await lastPaymentInfo(try await body(request))
        default: return Reply.msg(.notFound, "Not Found")
        }
    }

    /// The JSON object body; an empty body reads as `{}`.
    private func body(_ request: Request) async throws -> [String: SandboxJSON] {
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: 16 << 20)
        } catch {
            throw BadRequest(message: "Request body too large")
        }
        if buffer.readableBytes == 0 { return [:] }
        let data = Data(buffer.readableBytesView)
        guard let json = try? SandboxJSON.parse(data) else {
            throw BadRequest(message: "Failed to decode JSON object")
        }
        guard case .object(let object) = json else {
            throw BadRequest(message: "The request body must be a JSON object")
        }
        return object
    }

    // MARK: Authentication

    /// flask-jwt-extended's answers: 401 for a missing header or an expired token, 422 for a bad one.
    private func authenticate(_ request: Request) -> Reply? {
        guard let header = request.headers[.authorization] else {
            return Reply.msg(.unauthorized, "Missing Authorization Header")
        }
        let parts = header.split(separator: " ", omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0] == "Bearer" else {
            return Reply.msg(.unauthorized, "Missing 'Bearer' type in 'Authorization' header. Expected 'Authorization: Bearer <JWT>'")
        }
        let token = String(parts[1])
        let now = Date()
        if let exp = verifiedTokens.expiry(of: token) {
            if Int(now.timeIntervalSince1970.rounded(.down)) > exp {
                return Reply.msg(.unauthorized, "Token has expired")
            }
            return nil
        }
        do {
            let claims = try jwt.verify(token, now: now)
            verifiedTokens.remember(token, expiry: claims["exp"]?.intValue ?? Int.max)
            return nil
        } catch {
            switch error {
            case .expired: return Reply.msg(.unauthorized, "Token has expired")
            case .badSignature: return Reply.msg(.unprocessableContent, "Signature verification failed")
            case .malformed(let why): return Reply.msg(.unprocessableContent, why)
            case .notYetValid: return Reply.msg(.unprocessableContent, "The token is not yet valid (nbf)")
            case .wrongType: return Reply.msg(.unprocessableContent, "Only non-refresh tokens are allowed")
            }
        }
    }

    private func login(_ body: [String: SandboxJSON]) -> Reply {
        guard let key = body["apikey"]?.stringValue, let pin = body["pin"]?.stringValue,
              apikeys.contains(key), pin == self.pin
        else { return Reply.error("Invalid API Credentials.", code: 401) }
        let token = jwt.issue(subject: key, pin: pin, ttl: traffic.currentFaults.tokenTTL)
        return Reply.result(["access_token": .string(token)])
    }

    // MARK: Reads

    /// `[a,b,…]` from JSON texts.
    static func jsonArray(_ texts: [String]) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(texts.reduce(2) { $0 + $1.utf8.count + 1 })
        bytes.append(UInt8(ascii: "["))
        for (i, text) in texts.enumerated() {
            if i > 0 { bytes.append(UInt8(ascii: ",")) }
            bytes.append(contentsOf: text.utf8)
        }
        bytes.append(UInt8(ascii: "]"))
        return bytes
    }

    private func account(_ filenumber: String) async throws -> Reply {
        let text = try await pool.read { db in
            try String.fetchOne(db.cachedStatement(sql: "SELECT json_text FROM dbase_json WHERE filenumber = ?"),
                                arguments: [filenumber])
        }
        guard let text else { return Reply.emptyResult }
        return Reply.result(raw: Self.jsonArray([text]))
    }

    private func accountBySocial(_ ssn: String) async throws -> Reply {
        let texts = try await pool.read { db in
            try String.fetchAll(
                db.cachedStatement(sql: "SELECT json_text FROM dbase_json WHERE socialsecuritynumber = ? ORDER BY id"),
                arguments: [ssn])
        }
        guard !texts.isEmpty else { return Reply.error("SSN of \(ssn) not found") }
        return Reply.result(raw: Self.jsonArray(texts))
    }

    enum ItemList {
        case noAccount
        case items(count: Int, json: [UInt8])
    }

    /// The items of `table` for an account, as a JSON array.
    private func items(_ table: ChildTable, _ filenumber: String) async throws -> ItemList {
        try await pool.read { db -> ItemList in
            guard let id = try Int64.fetchOne(
                db.cachedStatement(sql: "SELECT id FROM dbase WHERE filenumber = ?"), arguments: [filenumber])
            else { return .noAccount }
            let texts = try String.fetchAll(
                db.cachedStatement(sql: "SELECT json_text FROM \(table.name)_json WHERE maindatabaseid = ? ORDER BY id"),
                arguments: [id])
            return .items(count: texts.count, json: Self.jsonArray(texts))
        }
    }

    private func phones(_ filenumber: String) async throws -> Reply {
        if case .items(let count, let json) = try await items(.phones, filenumber), count > 0 {
            return Reply.result(raw: json)
        }
        return Reply.error("File number \(filenumber) does not have associated phone numbers.")
    }

    private func notes(_ filenumber: String) async throws -> Reply {
        if case .items(let count, let json) = try await items(.notes, filenumber), count > 0 {
            return Reply.result(raw: json)
        }
        return Reply.error("File number \(filenumber) does not have any notes or may not exist.")
    }

    private func payments(_ filenumber: String) async throws -> Reply {
        switch try await items(.payments, filenumber) {
        case .noAccount: return Reply.error("File number \(filenumber) does not exist.", code: 404)
        case .items(_, let json): return Reply.result(raw: json)
        }
    }

    /// getattempts / getemails / getemailstats: the list, or `{"result": {"result": []}}`.
    private func listOrEmpty(_ table: ChildTable, _ filenumber: String) async throws -> Reply {
        if case .items(let count, let json) = try await items(table, filenumber), count > 0 {
            return Reply.result(raw: json)
        }
        return Reply.emptyResult
    }

    private func portfolioList() async throws -> Reply {
        let bytes = try await pool.read { db -> [UInt8] in
            let statement = try db.cachedStatement(
                sql: "SELECT client, dateplaced, id, portfolio FROM portfolios ORDER BY id")
            var w = JSONWriter(capacity: 2048)
            w.bytes.append(UInt8(ascii: "["))
            try w.writeRows(Row.fetchCursor(statement), keys: PortfolioView.portfolioKeys)
            w.bytes.append(UInt8(ascii: "]"))
            return w.bytes
        }
        return Reply.result(raw: bytes)
    }

    private func accountsInPortfolio(_ body: [String: SandboxJSON]) async throws -> Reply {
        guard let portfolio = body["portfolio"], portfolio != .null, portfolio != .string("") else {
            return Reply.error("Missing portfolio")
        }
        let name = portfolio.stringValue ?? portfolio.jsonString
        let ids = try await pool.read { db in try PortfolioView.accountIDs(db, portfolio: name) }
        let pool = self.pool
        // Written 1,000 accounts at a time: memory stays flat whatever the portfolio's size.
        var reply = Reply(body: [])
        reply.stream = ResponseBody { writer in
            try await writer.write(ByteBuffer(string: #"{"result":["#))
            for start in stride(from: 0, to: ids.count, by: 1000) {
                let page = ids[start]...ids[min(start + 1000, ids.count) - 1]
                let bytes = try await pool.read { db -> [UInt8] in
                    var w = JSONWriter(capacity: 1 << 20)
                    if start > 0 { w.bytes.append(UInt8(ascii: ",")) }
                    _ = try PortfolioView.writeAccounts(db, portfolio: name, ids: page, into: &w)
                    return w.bytes
                }
                try await writer.write(ByteBuffer(bytes: bytes))
            }
            try await writer.write(ByteBuffer(string: #"],"state":"SUCCESS"}"#))
            try await writer.finish(nil)
        }
        return reply
    }

    // MARK: Writes

    private func updateDbase(_ body: [String: SandboxJSON]) async throws -> Reply {
        guard let filenumberValue = body["filenumber"], filenumberValue != .null,
              let fieldValue = body["fieldname"], fieldValue != .null,
              let value = body["fieldvalue"]
        else { return Reply.error("Missing filenumber, fieldname or fieldvalue", code: 400) }
        let filenumber = filenumberValue.stringValue ?? filenumberValue.jsonString
        let fieldname = fieldValue.stringValue ?? fieldValue.jsonString
        let column = fieldname.lowercased()
        guard Schema.dbaseColumnSet.contains(column) else {
            return Reply.error("The field \(fieldname) does not exist in the dbase table.", code: 404)
        }
        guard !Schema.protectedColumns.contains(column) else {
            return Reply.error("The field \(fieldname) can not be updated: it identifies the account.", code: 404)
        }
        let stored = value.textDatabaseValue
        let changed = try await pool.write { db -> Int in
            try db.cachedStatement(sql: "UPDATE dbase SET \(Schema.quoted(column)) = ? WHERE filenumber = ?")
                .execute(arguments: [stored, filenumber])
            return db.changesCount
        }
        guard changed > 0 else { return Reply.error("Data not found for this filenumber", code: 404) }
        return Reply.success("Dbase table updated successfully").afterCommit()
    }

    private func insertPhone(_ body: [String: SandboxJSON]) async throws -> Reply {
        func text(_ key: String) -> String? {
            guard let v = body[key], v != .null else { return nil }
            return v.stringValue ?? v.jsonString
        }
        guard let filenumber = text("filenumber") else { return Reply.error("Data not found for this filenumber") }
        guard let number = text("phonenumber"), !number.isEmpty else { return Reply.error("Missing phonenumber") }
        let type = text("phonetype") ?? "UNKNOWN"
        let status = text("phonestatus") ?? "UNKNOWN"
        let source = text("source") ?? ""
        let now = Date()
        let found = try await pool.write { db -> Bool in
            guard let id = try Seeder.accountID(db, filenumber) else { return false }
            let owner = try Seeder.PhoneOwner.of(db, accountID: id)
            try Seeder.insertPhone(db, accountID: id, owner: owner, number: number, type: type, status: status,
                                   source: source, at: now)
            try Seeder.insertNote(db, accountID: id, filenumber: String.fromDatabaseValue(owner.filenumber) ?? filenumber,
                                  collector: "API",
                                  message: "Added Phonenumber : \(number) Type: \(type) Status: \(status)", at: now)
            return true
        }
        guard found else { return Reply.error("Data not found for this filenumber") }
        return Reply.success("Phone number inserted successfully").afterCommit()
    }

    // MARK: Admin

    private func admin(_ request: Request, _ rest: [String]) async -> Reply {
        switch (request.method, rest) {
        case (.get, ["stats"]):
            return Reply.json(statsJSON())
        case (.get, ["arrivals"]):
            return Reply.json(.object(["callers": .object(traffic.currentStats.arrivalsByCaller.mapValues { .array($0.map { .double($0) }) })]))
        case (.post, ["stats", "reset"]):
            traffic.resetStats()
            return Reply.json(statsJSON())
        case (.get, ["config"]):
            return Reply.json(configJSON())
        case (.put, ["config"]), (.post, ["config"]):
            let body: [String: SandboxJSON]
            do { body = try await self.body(request) } catch let error as BadRequest {
                return Reply.msg(.badRequest, error.message)
            } catch {
                return Reply.msg(.badRequest, "\(error)")
            }
            var newLimit: Int?? = nil
            if let limit = body["rate_limit"] {
                if limit == .null {
                    newLimit = .some(nil)
                } else if let r = limit.intValue, r >= 0 {
                    newLimit = .some(r)
                } else {
                    return Reply.msg(.badRequest, "rate_limit must be a non-negative integer or null")
                }
            }
            var newTTL: Double?
            if let ttl = body["token_ttl"] {
                switch ttl {
                case .int(let i) where i > 0: newTTL = Double(i)
                case .double(let d) where d > 0: newTTL = d
                default: return Reply.msg(.badRequest, "token_ttl must be a positive number of seconds")
                }
            }
            var newSeed: UInt64?
            if let seed = body["fault_seed"] {
                guard let i = seed.intValue, i >= 0 else {
                    return Reply.msg(.badRequest, "fault_seed must be a non-negative integer")
                }
                newSeed = UInt64(i)
            }
            var shares: [WritableKeyPath<SandboxFaults, Double>: Double] = [:]
            let shareKeys: [(String, WritableKeyPath<SandboxFaults, Double>)] =
                [("http_500", \.serverErrorShare), ("drop_connection", \.dropShare)]
                + AfterCommitFault.allCases.map { ($0.configKey, $0.share) }
            for (key, path) in shareKeys {
                if let value = body[key] {
                    guard let d = value.doubleValue, (0...1).contains(d) else {
                        return Reply.msg(.badRequest, "\(key) must be a number between 0 and 1")
                    }
                    shares[path] = d
                }
            }
            if let value = body["latency_ms"] {
                guard let d = value.doubleValue, d >= 0, d <= 60_000 else {
                    return Reply.msg(.badRequest, "latency_ms must be a number of milliseconds between 0 and 60000")
                }
                shares[\SandboxFaults.latencyMs] = d
            }
            // Sending fault_seed restarts the draws, even with the seed already in use.
            traffic.update(reseed: newSeed != nil) { faults in
                for (path, value) in shares { faults[keyPath: path] = value }
                if let newLimit { faults.rateLimit = newLimit }
                if let newTTL { faults.tokenTTL = newTTL }
                if let newSeed { faults.faultSeed = newSeed }
            }
            return Reply.json(configJSON())
        default:
            return Reply.msg(.notFound, "Not Found")
        }
    }

    func statsJSON() -> SandboxJSON {
        var json = traffic.currentStats.json
        if case .object(var o) = json {
            let faults = traffic.currentFaults
            for (key, value) in faultsJSON(faults) { o[key] = value }
            json = .object(o)
        }
        return json
    }

    func configJSON() -> SandboxJSON {
        .object(faultsJSON(traffic.currentFaults))
    }

    private func faultsJSON(_ faults: SandboxFaults) -> [String: SandboxJSON] {
        var object: [String: SandboxJSON] = [
            "rate_limit": faults.rateLimit.map { .int($0) } ?? .null,
            "token_ttl": .double(faults.tokenTTL),
            "http_500": .double(faults.serverErrorShare),
            "drop_connection": .double(faults.dropShare),
            "latency_ms": .double(faults.latencyMs),
            // A seed above Int.max (possible from the command line) is shown as text.
            "fault_seed": Int(exactly: faults.faultSeed).map { .int($0) } ?? .string(String(faults.faultSeed)),
        ]
        for fault in AfterCommitFault.allCases { object[fault.configKey] = .double(faults.share(of: fault)) }
        return object
    }
}

/// A bounded set of verified tokens.
final class VerifiedTokens: @unchecked Sendable {
    private let lock = NSLock()
    private var expiries: [String: Int] = [:]

    func expiry(of token: String) -> Int? {
        lock.lock()
        defer { lock.unlock() }
        return expiries[token]
    }

    func remember(_ token: String, expiry: Int) {
        lock.lock()
        defer { lock.unlock() }
        if expiries.count >= 4096 { expiries.removeAll(keepingCapacity: true) }
        expiries[token] = expiry
    }
}
