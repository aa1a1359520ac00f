import Foundation
import ScollectTestSupport
import Testing
@testable import ScollectETL

/// Account processing through a scripted transport: the reads an account needs, protected
/// statuses, planning only what changes, the calls made and what each answer makes of the row.
@Suite struct AccountProcessorTests {
    static let pipeline = """
    name: unit
    source:
      file: input.csv
    mapping:
      filenumber: Account
      city: City
      home_phone: Phone
    normalize:
      home_phone: phone
    writers:
      - updatedbase:
      - insertphone:
          phones:
            - { field: home_phone, type: HOME }
    protect:
      account_statuses: [BANKRUPTCY]
    target:
      url: sandbox
      requests_per_second: 1000
    reports:
      folder: out
    """

    static let login = #"{"state": "SUCCESS", "result": {"access_token": "scripted-token"}}"#

    /// A processor over `transport`, logged in, and the file's rows (`Account,City,Phone`).
    func setUp(_ transport: ScriptedTransport, rows values: [[String]]) throws -> (AccountProcessor, [NormalizedRow], RunState) {
        let config = try PipelineLoader.parse(Self.pipeline, file: "/tmp/unit/unit.yml")
        transport.queue("POST", "/login", .json(Self.login))
        let client = ScollectClient(baseURL: "http://127.0.0.1:9", credentials: Credentials(apikey: "k", pin: "1"),
                                    limiter: RateLimiter(ratePerSecond: 1000), audit: nil)
        client.retryPolicy = RetryPolicy(maxAttempts: 3, baseDelay: 0, maxDelay: 0)
        let state = RunState()
        // As in a run: every write not safe to send twice goes through a journal.
        let journal = try RunJournal(path: try makeTemporaryDirectory("journal") + "/journal.sqlite", key: nil)
        try journal.beginRun(id: "run-1", pipeline: config.name, inputName: "input.csv", inputDigest: "d1", target: "scripted")
        let effects = EffectJournal(journal: journal, runId: "run-1", pipeline: config.name, inputName: "input.csv", inputDigest: "d1",
                                    normalizerName: { _ in nil })
        let processor = AccountProcessor(config: config, client: client, state: state, effects: effects, listedAccounts: [:], options: RunOptions())
        let header = ["Account", "City", "Phone"]
        let rows = try Self.rows(config: config, header: header, values: values)
        return (processor, rows, state)
    }

    /// The rows of a file with this header and these cells, mapped and normalised by the pipeline.
    static func rows(config: PipelineConfig, header: [String], values: [[String]]) throws -> [NormalizedRow] {
        let mapper = try RowMapper(config: config, header: header, inputFile: "input.csv")
        return values.enumerated().map { index, cells -> NormalizedRow in
            var bytes: [UInt8] = []
            var ends: [Int32] = []
            for cell in cells {
                bytes += Array(cell.utf8)
                ends.append(Int32(bytes.count))
            }
            guard case let .row(row) = mapper.map(SourceRecord(row: index + 1, line: index + 2, bytes: bytes, fieldEnds: ends)) else {
                fatalError("row \(index + 1) did not map")
            }
            return row
        }
    }

    static func account(_ filenumber: String, city: String, status: String = "ACTIVE") -> String {
        #"{"state": "SUCCESS", "result": [{"filenumber": "\#(filenumber)", "city": "\#(city)", "statusname": "\#(status)"}]}"#
    }

    static func phones(_ numbers: [String]) -> String {
        let items = numbers.map { #"{"phonenumber": "\#($0)", "phonetype": "HOME", "phonestatus": "Good Number"}"# }
        return #"{"state": "SUCCESS", "result": [\#(items.joined(separator: ", "))]}"#
    }

    static let noPhones = #"{"state": "SUCCESS", "result": [{"error": "Account does not have associated phone numbers"}, 404]}"#
    static let done = #"{"state": "SUCCESS", "result": "updated"}"#

    @Test func aChangedFieldIsWrittenAndNothingElse() throws {
        let transport = ScriptedTransport()
        let (processor, rows, _) = try setUp(transport, rows: [["R1001", "Mobile", "205-555-0101"]])
        transport.queue("GET", "/getaccount/R1001", .json(Self.account("R1001", city: "Birmingham")))
        transport.queue("GET", "/getphones/R1001", .json(Self.phones(["205-555-0101"])))
        transport.queue("PUT", "/updatedbase", .json(Self.done))
        let outcomes = processor.process(rows, http: transport)
        guard case let .written(calls) = outcomes[0] else { Issue.record("\(outcomes[0])"); return }
        #expect(calls == ["updatedbase city"])
        #expect(transport.requestLines == ["POST /login", "GET /getaccount/R1001", "GET /getphones/R1001", "PUT /updatedbase"])
        let body = try #require(transport.requests.last?.body)
        #expect(JSONValue.parse(Data(body))?["fieldvalue"]?.stringValue == "Mobile")
    }

    @Test func anAccountThatAlreadyHoldsTheValuesIsUnchanged() throws {
        let transport = ScriptedTransport()
        let (processor, rows, _) = try setUp(transport, rows: [["R1001", "Mobile", "(205) 555-0101"]])
        transport.queue("GET", "/getaccount/R1001", .json(Self.account("R1001", city: "Mobile")))
        transport.queue("GET", "/getphones/R1001", .json(Self.phones(["2055550101"])))
        let outcomes = processor.process(rows, http: transport)
        guard case .unchanged = outcomes[0] else { Issue.record("\(outcomes[0])"); return }
        #expect(!transport.requestLines.contains { $0.hasPrefix("PUT") || $0 == "POST /insertphone" })
    }

    @Test func aProtectedAccountIsRejectedWithNothingWritten() throws {
        let transport = ScriptedTransport()
        let (processor, rows, _) = try setUp(transport, rows: [["R1001", "Mobile", "205-555-0101"]])
        transport.queue("GET", "/getaccount/R1001", .json(Self.account("R1001", city: "Birmingham", status: "Bankruptcy")))
        let outcomes = processor.process(rows, http: transport)
        guard case let .rejected(issue, calls) = outcomes[0] else { Issue.record("\(outcomes[0])"); return }
        #expect(issue.reason == .accountProtected)
        #expect(calls.isEmpty)
        #expect(transport.requestLines == ["POST /login", "GET /getaccount/R1001"])
    }

    @Test func anAccountTheAPIDoesNotKnowIsRejectedNotFound() throws {
        let transport = ScriptedTransport()
        let (processor, rows, _) = try setUp(transport, rows: [["R404", "Mobile", ""], ["R404", "Selma", ""]])
        transport.queue("GET", "/getaccount/R404", .json(#"{"state": "SUCCESS", "result": [{"error": "Data not found for this filenumber"}, 404]}"#))
        let outcomes = processor.process(rows, http: transport)
        #expect(outcomes.count == 2)
        for outcome in outcomes {
            guard case let .rejected(issue, _) = outcome else { Issue.record("\(outcome)"); continue }
            #expect(issue.reason == .accountNotFound)
            #expect(issue.message.contains("R404"))
        }
        // Read once for both rows of the account.
        #expect(transport.requestLines.filter { $0 == "GET /getaccount/R404" }.count == 1)
    }

    @Test func anErrorInsideA200RejectsTheRowWithTheServersMessage() throws {
        let transport = ScriptedTransport()
        let (processor, rows, state) = try setUp(transport, rows: [["R1001", "Mobile", ""]])
        transport.queue("GET", "/getaccount/R1001", .json(Self.account("R1001", city: "Birmingham")))
        transport.queue("GET", "/getphones/R1001", .json(Self.noPhones))
        transport.queue("PUT", "/updatedbase", .json(#"{"state": "SUCCESS", "result": {"error": "Field city is locked"}}"#))
        let outcomes = processor.process(rows, http: transport)
        guard case let .rejected(issue, _) = outcomes[0] else { Issue.record("\(outcomes[0])"); return }
        #expect(issue.reason == .apiError)
        #expect(issue.message.contains("Field city is locked"))
        #expect(state.fatal == nil)
        // Sent once: an answer in full is not retried.
        #expect(transport.requestLines.filter { $0 == "PUT /updatedbase" }.count == 1)
    }

    @Test func aLostInsertphoneAnswerIsLookedUpAndNotSentAgainWhenThePhoneIsThere() throws {
        let transport = ScriptedTransport()
        let (processor, rows, _) = try setUp(transport, rows: [["R1001", "", "205-555-0199"]])
        transport.queue("GET", "/getaccount/R1001", .json(Self.account("R1001", city: "")))
        transport.queue("GET", "/getphones/R1001", .json(Self.noPhones), .json(Self.phones(["205-555-0199"])))
        transport.queue("POST", "/insertphone", .closedBeforeAnswer)
        let outcomes = processor.process(rows, http: transport)
        guard case let .written(calls) = outcomes[0] else { Issue.record("\(outcomes[0])"); return }
        #expect(calls == ["insertphone 205-555-0199"])
        #expect(transport.requestLines.filter { $0 == "POST /insertphone" }.count == 1)
        #expect(transport.requestLines.suffix(2) == ["POST /insertphone", "GET /getphones/R1001"])
    }

    @Test func aLostInsertphoneAnswerIsSentAgainOnlyWhenTheLookupShowsItAbsent() throws {
        let transport = ScriptedTransport()
        let (processor, rows, _) = try setUp(transport, rows: [["R1001", "", "205-555-0199"]])
        transport.queue("GET", "/getaccount/R1001", .json(Self.account("R1001", city: "")))
        transport.queue("GET", "/getphones/R1001", .json(Self.noPhones), .json(Self.noPhones))
        transport.queue("POST", "/insertphone", .truncated(status: 200, partialBody: #"{"state": "SUC"#), .json(Self.done))
        let outcomes = processor.process(rows, http: transport)
        guard case .written = outcomes[0] else { Issue.record("\(outcomes[0])"); return }
        #expect(transport.requestLines.suffix(3) == ["POST /insertphone", "GET /getphones/R1001", "POST /insertphone"])
    }

    @Test func aLostInsertphoneAnswerThatCannotBeLookedUpIsAnUnknownOutcome() throws {
        let transport = ScriptedTransport()
        let (processor, rows, _) = try setUp(transport, rows: [["R1001", "", "205-555-0199"]])
        transport.queue("GET", "/getaccount/R1001", .json(Self.account("R1001", city: "")))
        transport.queue("GET", "/getphones/R1001", .json(Self.noPhones),
                        .json("{}", status: 500), .json("{}", status: 500), .json("{}", status: 500))
        transport.queue("POST", "/insertphone", .closedBeforeAnswer)
        let outcomes = processor.process(rows, http: transport)
        guard case let .rejected(issue, _) = outcomes[0] else { Issue.record("\(outcomes[0])"); return }
        #expect(issue.reason == .outcomeUnknown)
        #expect(transport.requestLines.filter { $0 == "POST /insertphone" }.count == 1)
    }
}
