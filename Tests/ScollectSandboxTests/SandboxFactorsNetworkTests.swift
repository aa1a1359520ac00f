import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
@testable import ScollectSandbox

/// The Factors Network emulation: Basic authentication, form fields, the documented answer,
/// and the "Validation" column as errors.
@Suite struct SandboxFactorsNetworkTests {
    static let debtor = "dd1c6e63-7680-4d06-34f6-44d293694bba"
    static let creditor = "710bc35a-d1f2-5678-b576-a15197909044"
    static let basic = "Basic " + Data("\(SandboxConfiguration.defaultFactorsNetworkUser):\(SandboxConfiguration.defaultFactorsNetworkPassword)".utf8).base64EncodedString()

    func post(_ f: SandboxFixture, debtor: String = debtor, form: String, authorization: String? = basic) async throws -> HTTPResult {
        var request = URLRequest(url: URL(string: f.server.factorsNetworkURL + "/api/debtors/\(debtor)/notes.json")!)
        request.httpMethod = "POST"
        request.httpBody = Data(form.utf8)
        request.setValue("application/x-www-form-urlencoded", forHTTPHeaderField: "Content-Type")
        if let authorization { request.setValue(authorization, forHTTPHeaderField: "Authorization") }
        let (data, response) = try await f.client.session.data(for: request)
        return HTTPResult(status: (response as! HTTPURLResponse).statusCode, headers: [:], body: data)
    }

    @Test func aNoteIsAnsweredAsDocumentedAndStored() async throws {
        let f = try SandboxFixture()
        defer { f.stop() }
        let r = try await post(f, form: "creditor=\(Self.creditor)&note=testing%20it&type=SLOW_PAY")
        #expect(r.status == 200)
        let note = try #require(r.json["notes"]?[0])
        #expect(note["debtorUuid"] == .string(Self.debtor))
        #expect(note["creditorUuid"] == .string(Self.creditor))
        #expect(note["complaint"] == "testing it")
        #expect(note["noteType"] == "SLOW_PAY")
        #expect(note["writeOffAmount"] == 0)
        #expect(note["creationDate"]?.stringValue?.wholeMatch(of: #/\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}/#) != nil)
        #expect(UUID(uuidString: note["uuid"]?.stringValue ?? "") != nil)

        let writeOff = try await post(f, debtor: "645d5f2e-4dba-411c-a74c-b4e7ca00c8bf",
                                      form: "creditor=24b3602c-dacc-4022-9ade-ecf99f749519&note=testing&type=WRITE_OFF&writeOffAmount=1234&createdDate=2015-09-21%2019%3A10%3A00")
        #expect(writeOff.json["notes"]?[0]?["writeOffAmount"] == 1234)
        #expect(writeOff.json["notes"]?[0]?["creationDate"] == "2015-09-21 19:10:00")
        let stored = try f.server.store.query("SELECT noteType, writeOffAmount, creationDate FROM fn_notes ORDER BY id")
        #expect(stored.count == 2)
        #expect(stored.last?["writeOffAmount"] == 1234)
        #expect(stored.last?["creationDate"] == "2015-09-21 19:10:00")
    }

    @Test func theValidationColumnComesBackAsErrors() async throws {
        let f = try SandboxFixture()
        defer { f.stop() }
        let ok = "creditor=\(Self.creditor)&type=SLOW_PAY"
        let cases: [(debtor: String, form: String, auth: String?, status: Int, error: String)] = [
            (Self.debtor, ok, nil, 401, "Bad credentials"),
            (Self.debtor, ok, "Basic " + Data("apiuser:wrong".utf8).base64EncodedString(), 401, "Bad credentials"),
            ("af6c50e8-0000-4366-921e-5157fb3d2550", ok, Self.basic, 404, "Debtor UUID should exist in the system."),
            (Self.debtor, "creditor=00000000-d1f2-5678-b576-a15197909044&type=SLOW_PAY", Self.basic, 400, "Creditor UUID should exist in the system."),
            (Self.debtor, "creditor=\(FactorsNetworkEmulation.otherCreditor)&type=SLOW_PAY", Self.basic, 403, "The authenticating user must be associated with the creditor."),
            (Self.debtor, "creditor=\(Self.creditor)&type=LATE_PAY", Self.basic, 400, "The type can be " + FactorsNetworkEmulation.noteTypes.joined(separator: ", ") + "."),
            (Self.debtor, "creditor=\(Self.creditor)&type=WRITE_OFF&writeOffAmount=lots", Self.basic, 400, "writeOffAmount must be a number."),
            (Self.debtor, "creditor=\(Self.creditor)&type=SLOW_PAY&createdDate=2015-09-21%2007%3A10%3A00%20PM", Self.basic, 400, "createdDate must be in the format yyyy-MM-dd HH:mm:ss."),
        ]
        for item in cases {
            let r = try await post(f, debtor: item.debtor, form: item.form, authorization: item.auth)
            #expect(r.status == item.status, "\(item.error)")
            #expect(r.json == ["error": .string(item.error)])
        }
        #expect(try f.server.store.query("SELECT COUNT(*) AS n FROM fn_notes").first?["n"] == 0)
    }

    @Test func theDocumentListsThirtyTwoTypes() {
        #expect(FactorsNetworkEmulation.noteTypes.count == 32)
        #expect(Set(FactorsNetworkEmulation.noteTypes).count == 32)
    }
}
