import Foundation
@testable import ScollectETL
import Testing

/// What a placement may change on a live account: kept fields, sentinel empties, protected
/// phones; and the whole-file checks' row rules.
struct MaintenancePolicyTests {
    static let pipeline = """
    source: { file: in.csv }
    mapping: { filenumber: A, birthdate: B, address: C, cellphone: D, socialsecuritynumber: E, currentbalance: F, principal: G, accruedinterest: H, dateplaced: I }
    normalize: { birthdate: date, cellphone: phone, socialsecuritynumber: ssn, currentbalance: money, principal: money, accruedinterest: money, dateplaced: date }
    protect: { phone_statuses: [Do-Not-Call, revoked consent] }
    checks:
      required: [address]
      no_future_dates: { fields: [birthdate], on_fail: reject_row }
      balance_adds_up: { total: currentbalance, parts: [principal, accruedinterest] }
    writers:
      - updatedbase:
          keep: [birthdate, socialsecuritynumber]
    target: { url: sandbox, requests_per_second: 10 }
    reports: { folder: out }
    """

    func row(_ values: [String: FieldValue]) -> NormalizedRow {
        NormalizedRow(record: SourceRecord(row: 1, line: 2, values: []), filenumber: "R1", values: values, warnings: [])
    }

    @Test func sentinelDatesNullAndBlankAreEmpty() {
        for empty in [nil, "", "  ", "null", "NULL", "1/1/1900", "01/01/1900", "1900-01-01", "Mon, 01 Jan 1900 00:00:00 GMT", "Sun, 31 Dec 1899 00:00:00 GMT", "12/31/1899"] {
            #expect(AccountSnapshot.isEmptyValue(empty), "\(empty ?? "nil")")
        }
        for value in ["1/2/1900", "1900 MAIN ST", "Tue, 02 Jan 1900 00:00:00 GMT", "1965-10-18", "0"] {
            #expect(!AccountSnapshot.isEmptyValue(value), "\(value)")
        }
    }

    @Test func keptFieldsAreFilledWhenEmptyAndNeverOverwritten() throws {
        let writer = try PipelineLoader.parse(Self.pipeline, file: "p.yml").writers[0]
        let news = row(["birthdate": .value("1965-10-18"), "socialsecuritynumber": .value("111-22-3333"), "address": .value("2 OAK ST")])
        let set = AccountSnapshot(fields: ["birthdate": "3/4/1970", "socialsecuritynumber": "999-88-7777", "address": "1 ELM ST"])
        #expect(writer.plan(news, current: set).map(\.summary) == ["updatedbase address"], "kept fields with a value stay; address is overwritten")
        let sentinels = AccountSnapshot(fields: ["birthdate": "Mon, 01 Jan 1900 00:00:00 GMT", "socialsecuritynumber": nil, "address": "2 OAK ST"])
        #expect(writer.plan(news, current: sentinels).map(\.summary) == ["updatedbase birthdate", "updatedbase socialsecuritynumber"])
    }

    @Test func aPhoneFieldHoldingAProtectedNumberIsLeftAlone() throws {
        let writer = try PipelineLoader.parse(Self.pipeline, file: "p.yml").writers[0]
        #expect(writer.reads == [.account, .phones], "the phones' statuses are read when a phone field may be protected")
        var current = AccountSnapshot(fields: ["cellphone": "205-555-0134"], phoneDigits: ["2055550134"])
        current.phoneStatus = ["2055550134": "DO NOT CALL"]
        #expect(writer.plan(row(["cellphone": .value("205-555-0199")]), current: current).isEmpty)
        current.phoneStatus = ["2055550134": "Good Number"]
        #expect(writer.plan(row(["cellphone": .value("205-555-0199")]), current: current).map(\.summary) == ["updatedbase cellphone"])
    }

    @Test func keepNamesOnlyFieldsTheWriterUpdates() {
        let text = Self.pipeline.replacingOccurrences(of: "keep: [birthdate, socialsecuritynumber]", with: "keep: [birthdat]")
        #expect(throws: PipelineError.self) { try PipelineLoader.parse(text, file: "p.yml") }
        do { _ = try PipelineLoader.parse(text, file: "p.yml") } catch { #expect("\(error)".contains("did you mean \"birthdate\"")) }
    }

    @Test func protectionComparesStatusesLoosely() {
        let protection = PipelineConfig.Protection(accountStatuses: ["Bankruptcy"], phoneStatuses: ["Do-Not-Call"])
        #expect(protection.protectsPhone(status: "do not call"))
        #expect(protection.protectsPhone(status: "DO_NOT_CALL"))
        #expect(!protection.protectsPhone(status: "Good Number"))
        #expect(protection.protectsAccount(status: " BANKRUPTCY "))
        #expect(!protection.protectsAccount(status: nil))
    }

    @Test func rowChecksNameTheFieldAndTheRule() throws {
        var checks = try PipelineLoader.parse(Self.pipeline, file: "p.yml").checks
        checks.today = "2026-11-23"
        #expect(!checks.needsFirstPass, "row checks that reject rows need no first pass")
        let good = row(["address": .value("1 ELM"), "birthdate": .value("1965-10-18"), "currentbalance": .value("110.50"),
                        "principal": .value("100.00"), "accruedinterest": .value("10.50")])
        #expect(checks.rowIssues(good).isEmpty)
        let bad = row(["birthdate": .value("2027-01-01"), "currentbalance": .value("110.50"), "principal": .value("100.00")])
        #expect(checks.rowIssues(bad).map(\.0.reason) == [.missingField, .futureDate, .balanceMismatch])
        #expect(checks.rowIssues(bad).allSatisfy { $0.1 == .rejectRow })
        checks.futureDatesAction = .hold
        #expect(checks.needsFirstPass)
    }

    @Test func checksRefuseFieldsThatAreNotMappedOrNotOfTheirType() {
        for (from, to) in [("required: [address]", "required: [adress]"),
                           ("parts: [principal, accruedinterest]", "parts: [principal, address]")] {
            let text = Self.pipeline.replacingOccurrences(of: from, with: to)
            #expect(throws: PipelineError.self) { try PipelineLoader.parse(text, file: "p.yml") }
        }
    }

    @Test func datedNamesAreFilledAndGlobsResolvedInNameOrder() throws {
        let folder = NSTemporaryDirectory() + "inputs-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        for name in ["p_20261122.csv", "p_20261123.csv", "p_20261121.csv", "other.txt"] {
            _ = FileManager.default.createFile(atPath: folder + "/" + name, contents: Data("x".utf8))
        }
        var components = DateComponents()
        (components.year, components.month, components.day, components.hour) = (2026, 11, 22, 12)
        let date = Calendar.current.date(from: components)!
        #expect(InputFiles.fillDate("in/p_{yyyyMMdd}.csv", date: date) == "in/p_20261122.csv")
        #expect(InputFiles.fillDate("p_{yyyy-MM-dd}_{HH}.csv", date: date) == "p_2026-11-22_12.csv")
        #expect(InputFiles.resolve(folder + "/p_{yyyyMMdd}.csv", date: date) == [folder + "/p_20261122.csv"])
        #expect(InputFiles.resolve(folder + "/p_*.csv").map { URL(fileURLWithPath: $0).lastPathComponent } == ["p_20261121.csv", "p_20261122.csv", "p_20261123.csv"])
        #expect(InputFiles.resolve(folder + "/none_*.csv").isEmpty)
        // validate/preview on a night with no file yet look at the newest one.
        #expect(InputFiles.newest(folder + "/p_{yyyyMMdd}.csv", date: date.addingTimeInterval(3 * 86_400)) == folder + "/p_20261123.csv")
        #expect(InputFiles.newest(folder + "/p_{yyyyMMdd}.csv", date: date) == folder + "/p_20261122.csv")
    }

    @Test func acknowledgementDescribesChangesByEndpoint() {
        #expect(AcknowledgementReport.describe([]) == "no change")
        #expect(AcknowledgementReport.describe(["updatedbase address", "insertphone 205-555-0134", "updatedbase city"])
                == "updatedbase: address, city; insertphone: 205-555-0134")
    }

    @Test func rollbackTakesTheFirstPreviousAndTheLastValueAndSkipsFailedCalls() {
        func record(_ field: String?, _ previous: String?, _ new: String, _ state: ChangeRecord.State = .made, account: String = "R1") -> ChangeRecord {
            var change = ChangeRecord(runId: "r", filenumber: account, endpoint: "updatedbase", field: field, previous: previous, newValue: new, normalizer: nil, sourceRow: 1)
            change.state = state
            return change
        }
        let changes = RollbackRunner.fieldChanges([
            record("city", "A", "B"), record("city", "B", "C"), record("zip", "1", "2", .failed), record(nil, nil, "insertphone 205-555-0134"),
            record("city", "X", "Y", .sent, account: "r2"),
        ])
        #expect(changes.map { "\($0.filenumber).\($0.field) \($0.previous ?? "nil")→\($0.runValue)" } == ["R1.city A→C", "r2.city X→Y"])
    }
}
