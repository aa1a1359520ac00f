import Foundation
import Testing
@testable import ScollectSandbox

/// InsertNoteline, insertattempt, updatephone, updatepermissions and createCallback over real
/// HTTP: what they store reads back through the documented GETs (or the store where the API has
/// none), and each documented error comes back in its documented envelope.
@Suite struct SandboxAccountMaintenanceTests {
    static let notFound400: SandboxJSON = ["result": [["error": "Data not found for this filenumber"], 400], "state": "SUCCESS"]

    @Test func notelineReadsBackThroughGetnotes() async throws {
        let f = try SandboxFixture()
        defer { f.stop() }
        let token = try await f.client.login()
        let body: SandboxJSON = ["filenumber": "r1005", "collectorname": "mall", "logmessage": "|ACCOUNT MAINTENANCE|\r\ncity from A to B"]
        let r = try await f.client.send("POST", "/InsertNoteline", json: body, token: token)
        #expect(r.json == ["result": ["success": "Noteline inserted successfully"], "state": "SUCCESS"])
        let notes = try await f.client.get("/getnotes/R1005", token: token).json["result"]?.arrayValue ?? []
        let note = try #require(notes.last)
        #expect(note["collectorname"] == "mall")
        #expect(note["logmessage"] == "|ACCOUNT MAINTENANCE|\r\ncity from A to B")
        #expect(note["filenumber"] == "R1005")
        #expect(note["logdateandtime"]?.stringValue?.contains(" AT ") == true)

        #expect(try await f.client.send("POST", "/InsertNoteline", json: ["filenumber": "R9999", "collectorname": "mall", "logmessage": "x"],
                                        token: token).json == Self.notFound400)
        let missing = try await f.client.send("POST", "/InsertNoteline", json: ["filenumber": "R1005", "collectorname": "mall"], token: token)
        #expect(missing.json["result"]?[0]?["error"] == "Missing required field(s): logmessage")
    }

    @Test func attemptReadsBackThroughGetattempts() async throws {
        let f = try SandboxFixture()
        defer { f.stop() }
        let token = try await f.client.login()
        #expect(try await f.client.get("/getattempts/R1005", token: token).json == ["result": ["result": []], "state": "SUCCESS"])
        let body: SandboxJSON = ["phonenumber": "123-456-7890", "dispo": "SPOKE TO DEBTOR", "agent": "agent", "type": "MANUAL", "filenumber": "R1005"]
        let r = try await f.client.send("POST", "/insertattempt", json: body, token: token)
        #expect(r.json == ["result": ["success": "Attempt inserted successfully"], "state": "SUCCESS"])
        let attempts = try await f.client.get("/getattempts/R1005", token: token).json["result"]?.arrayValue ?? []
        #expect(attempts.count == 1)
        #expect(attempts.first?["dispo"] == "SPOKE TO DEBTOR")
        #expect(attempts.first?["phonenumber"] == "123-456-7890")
        #expect(attempts.first?["direction"] == "Outbound")
        #expect(attempts.first?["wassecond"] == 0)
        #expect(attempts.first?["date"]?.stringValue?.hasSuffix(" 00:00:00 GMT") == true)

        var unknown = body.objectValue!
        unknown["filenumber"] = "R9999"
        #expect(try await f.client.send("POST", "/insertattempt", json: .object(unknown), token: token).json == Self.notFound400)
    }

    @Test func updatephoneReadsBackThroughGetphonesAndAnswersTheDocumentedError() async throws {
        let f = try SandboxFixture()
        defer { f.stop() }
        let token = try await f.client.login()
        let r = try await f.client.send("PUT", "/updatephone", json: ["filenumber": "R1000", "phonenumber": "222-333-4444", "phonestatus": "DISCONNECTED"], token: token)
        #expect(r.json == ["result": ["success": "Phone number updated successfully"], "state": "SUCCESS"])
        let phones = try await f.client.get("/getphones/R1000", token: token).json["result"]?.arrayValue ?? []
        let phone = try #require(phones.first { $0["phonenumber"] == "222-333-4444" })
        #expect(phone["phonestatus"] == "DISCONNECTED")
        #expect(phone["phonetype"] == "UNKNOWN", "a type not sent is left as it was")
        #expect(phones.first { $0["phonenumber"] == "123-456-7890" }?["phonestatus"] == "UNKNOWN")

        let neither = try await f.client.send("PUT", "/updatephone", json: ["filenumber": "R1000", "phonenumber": "222-333-4444"], token: token)
        #expect(neither.json == ["result": [["error": "You need to provide at least one field to update"], 400], "state": "SUCCESS"])
        let badFormat = try await f.client.send("PUT", "/updatephone", json: ["filenumber": "R1000", "phonenumber": "2223334444", "phonetype": "CELL"], token: token)
        #expect(badFormat.json["result"]?[0]?["error"] == "Invalid phone number format. Use ###-###-####")
        let absent = try await f.client.send("PUT", "/updatephone", json: ["filenumber": "R1000", "phonenumber": "999-333-4444", "phonetype": "CELL"], token: token)
        #expect(absent.json["result"]?[1] == 404)
    }

    @Test func permissionsReadBackThroughGetemailstatsOrTheStore() async throws {
        let f = try SandboxFixture()
        defer { f.stop() }
        let token = try await f.client.login()
        let success: SandboxJSON = ["result": ["success": "Account permissions table updated successfully"], "state": "SUCCESS"]
        for (field, value) in [("registeredportal", "1"), ("lastportallogin", "2024-02-28"), ("sentcount", "10"), ("cantext", "0"), ("hotnotes", "Customer requested callback")] {
            let r = try await f.client.send("PUT", "/updatepermissions", json: ["filenumber": "R1005", "fieldname": .string(field), "fieldvalue": .string(value)], token: token)
            #expect(r.json == success, "\(field)")
        }
        let stats = try await f.client.get("/getemailstats/R1005", token: token).json["result"]?[0]
        #expect(stats?["registeredportal"] == 1)
        #expect(stats?["sentcount"] == 10)
        #expect(stats?["lastportallogin"] == "Wed, 28 Feb 2024 00:00:00 GMT")
        #expect(stats?["openedcount"] == 0)
        let stored = try f.server.store.query("SELECT cantext, hotnotes FROM permissions WHERE filenumber = 'R1005'")
        #expect(stored.first?["cantext"] == "0")
        #expect(stored.first?["hotnotes"] == "Customer requested callback")

        let unknown = try await f.client.send("PUT", "/updatepermissions", json: ["filenumber": "R9999", "fieldname": "callspouse", "fieldvalue": "1"], token: token)
        #expect(unknown.json == ["result": ["error": "Data not found for this filenumber"], "state": "SUCCESS"])
        let badField = try await f.client.send("PUT", "/updatepermissions", json: ["filenumber": "R1005", "fieldname": "firstname", "fieldvalue": "X"], token: token)
        #expect(badField.json["result"]?["error"]?.stringValue?.hasPrefix("Invalid fieldname") == true)
        let badValue = try await f.client.send("PUT", "/updatepermissions", json: ["filenumber": "R1005", "fieldname": "callspouse", "fieldvalue": "yes"], token: token)
        #expect(badValue.json["result"]?["error"] == "Invalid value for callspouse: expected 1 or 0")
    }

    @Test func callbackIsStoredAndAnUnknownAccountGetsTheEmptyResult() async throws {
        let f = try SandboxFixture()
        defer { f.stop() }
        let token = try await f.client.login()
        let body: SandboxJSON = ["FileNumber": "R1000", "Name": "IVANA LAST NAME", "Assignedto": "mail", "Callbackdate": "2025-03-17",
                                 "Callbacktime": "1:43PM", "Callbackdatemysql": "2025-03-17"]
        let r = try await f.client.send("POST", "/createCallback", json: body, token: token)
        #expect(r.json == ["result": ["Success": "Callback has been uploaded"], "state": "SUCCESS"])
        let stored = try f.server.store.query("SELECT * FROM callbacks WHERE maindatabaseid = 1")
        #expect(stored.count == 1)
        #expect(stored.first?["Callbacktime"] == "1:43PM")
        #expect(stored.first?["Assignedto"] == "mail")

        var unknown = body.objectValue!
        unknown["FileNumber"] = "R9999"
        #expect(try await f.client.send("POST", "/createCallback", json: .object(unknown), token: token).json == ["result": ["result": []], "state": "SUCCESS"])
        #expect(try f.server.store.query("SELECT COUNT(*) AS n FROM callbacks").first?["n"] == 1)
    }

    @Test func aVersion2DatabaseGainsTheNewTables() async throws {
        let f = try SandboxFixture()
        defer { f.stop() }
        try await f.server.store.pool.write { db in
            for table in ["callbacks", "permissions", "fn_notes", "fn_debtors", "fn_creditors"] { try db.execute(sql: "DROP TABLE \(table)") }
            try db.execute(sql: "UPDATE meta SET value = '2' WHERE key = 'schema_version'")
        }
        try f.restart()
        let tables = Set(try f.server.store.query("SELECT name FROM sqlite_master WHERE type = 'table'").compactMap { $0["name"]?.stringValue })
        #expect(tables.isSuperset(of: ["callbacks", "permissions", "fn_notes", "fn_debtors", "fn_creditors"]))
        #expect(try f.server.store.query("SELECT COUNT(*) AS n FROM fn_debtors").first?["n"] == .int(FactorsNetworkEmulation.debtors.count))
        let token = try await f.client.login()
        let r = try await f.client.send("PUT", "/updatepermissions", json: ["filenumber": "R1000", "fieldname": "cantext", "fieldvalue": "1"], token: token)
        #expect(r.json["result"]?["success"] != nil)
    }
}
