@testable import ScollectETL
import Testing

struct UpdatePermissionsWriterTests {
    @Test func eachTypeIsChecked() {
        let cases: [(PermissionFields.DataType, String, String?)] = [
            (.flag, "1", "1"), (.flag, "Yes", "1"), (.flag, "0", "0"), (.flag, "false", "0"), (.flag, "maybe", nil), (.flag, "2", nil),
            (.text, "Allowed", "Allowed"), (.text, "  ", nil),
            (.date, "2024-03-15", "2024-03-15"), (.date, "2024-02-30", nil), (.date, "03/15/2024", nil),
            (.phone, "555-123-4567", "555-123-4567"), (.phone, "5551234567", nil),
            (.decimal, "500.00", "500.00"), (.decimal, "500", "500"), (.decimal, "12.345", nil), (.decimal, "-5", nil), (.decimal, "$500", nil),
            (.number, "3", "3"), (.number, "3.5", nil), (.number, "three", nil),
        ]
        for (type, value, expected) in cases {
            #expect(PermissionFields.sendable(value, as: type) == expected, "\(type) \(value)")
        }
    }

    @Test func theDocumentsTableHasThirtyFiveFieldsWithTheirTypes() {
        #expect(PermissionFields.types.count == 35)
        #expect(PermissionFields.types["sifamount"] == .decimal && PermissionFields.types["textphone"] == .phone
                && PermissionFields.types["sifnumberofpay"] == .number && PermissionFields.types["callwork"] == .text)
    }

    @Test func oneCallPerFieldWithTheValueAsSent() throws {
        let writer = try WriterFixture.writers(mapping: ["cantext", "dateofnotice", "hotnotes"], "  - updatepermissions:")[0]
        let calls = writer.plan(WriterFixture.row(["cantext": "yes", "hotnotes": "<CLEAR>"]), current: AccountSnapshot())
        #expect(calls.map { $0.call.body } == [
            .strings([("filenumber", "R1"), ("fieldname", "cantext"), ("fieldvalue", "1")]),
            .strings([("filenumber", "R1"), ("fieldname", "hotnotes"), ("fieldvalue", "")]),
        ])
        #expect(calls.allSatisfy { $0.call.method == "PUT" && $0.call.path == "/updatepermissions" })
        #expect(writer.check(WriterFixture.row(["cantext": "maybe"])) == RowIssue(.invalidPermissionValue, field: "cantext",
                                                                                    "updatepermissions: cantext must be 1 or 0, found \"maybe\""))
        #expect(writer.check(WriterFixture.row(["cantext": "<CLEAR>"]))?.reason == .invalidPermissionValue, "a flag has no empty value")
    }

    @Test func onlyTheDocumentedFieldsAreAccepted() {
        let error = WriterFixture.loadError(mapping: ["cantxt"], "  - updatepermissions: { fields: [cantxt] }")
        #expect(error?.contains("not one of the Valid Account Permission Fields — did you mean \"cantext\"?") == true)
        #expect(WriterFixture.loadError(mapping: ["address"], "  - updatepermissions:")?.contains("no permission field is mapped") == true)
    }
}
