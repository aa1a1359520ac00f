@testable import ScollectETL
import Testing

/// Writers plan only calls that change something.
struct WriterPlanningTests {
    static let pipeline = """
    source: { file: in.csv }
    mapping: { filenumber: A, birthdate: B, address: C, address2: D, home_phone: E, cell_phone: F }
    normalize: { birthdate: date, home_phone: phone, cell_phone: phone }
    options: { clear_marker: "<CLEAR>" }
    writers:
      - updatedbase:
      - insertphone:
          phones: [{ field: home_phone, type: HOME }, { field: cell_phone, type: CELL }]
    target: { url: sandbox, requests_per_second: 10 }
    reports: { folder: out }
    """

    func row(_ values: [String: FieldValue]) -> NormalizedRow {
        NormalizedRow(record: SourceRecord(row: 1, line: 2, values: []), filenumber: "R1", values: values, warnings: [])
    }

    @Test func updatedbaseSendsOnlyChangedFieldsComparedThroughTheNormaliser() throws {
        let config = try PipelineLoader.parse(Self.pipeline, file: "p.yml")
        let writer = config.writers[0]
        let current = AccountSnapshot(fields: ["birthdate": "10/18/1965", "address": "15 MAIN ST", "address2": "APT 2"])
        let calls = writer.plan(row(["birthdate": .value("1965-10-18"), "address": .value("16 MAIN ST"), "address2": .clear]), current: current)
        #expect(calls.map(\.summary) == ["updatedbase address", "updatedbase address2"])
        #expect(calls[1].call.body == .strings([("filenumber", "R1"), ("fieldname", "address2"), ("fieldvalue", "")]))
        #expect(calls.allSatisfy { $0.call.idempotent && $0.call.method == "PUT" })
        // Clearing an already empty field is no change.
        #expect(writer.plan(row(["address2": .clear]), current: AccountSnapshot(fields: ["address2": " "])).isEmpty)
        // A blank cell is no news: absent from the row, nothing sent.
        #expect(writer.plan(row([:]), current: current).isEmpty)
    }

    @Test func insertphoneSkipsNumbersTheAccountHasAndDuplicatesWithinTheRow() throws {
        let config = try PipelineLoader.parse(Self.pipeline, file: "p.yml")
        let writer = config.writers[1]
        let current = AccountSnapshot(phoneDigits: ["2055550134"])
        #expect(writer.plan(row(["home_phone": .value("205-555-0134")]), current: current).isEmpty)
        let calls = writer.plan(row(["home_phone": .value("205-555-0199"), "cell_phone": .value("205-555-0199")]), current: current)
        #expect(calls.count == 1)
        #expect(calls[0].call.idempotent == false)
        #expect(calls[0].call.body?["phonetype"] == .string("HOME"))
    }
}
