import Foundation
import ScollectTestSupport
import Testing
@testable import ScollectETL

/// Answers that do not prove a write absent leave its outcome unknown: never refused, never
/// re-sent blindly, and a later run of the file finds it in the journal.
@Suite struct LostAnswerTests {
    static let notePipeline = """
    name: notes
    source:
      file: input.csv
    mapping:
      filenumber: Account
      note: Note
    writers:
      - InsertNoteline:
          collectorname: LOADER
          logmessage: { field: note }
    target:
      url: sandbox
      requests_per_second: 1000
    reports:
      folder: out
    """

    struct Setup {
        let processor: AccountProcessor
        let rows: [NormalizedRow]
        let journal: RunJournal
        let effects: EffectJournal
    }

    func setUp(_ transport: ScriptedTransport, pipeline: String, header: [String], rows values: [[String]]) throws -> Setup {
        let config = try PipelineLoader.parse(pipeline, file: "/tmp/unit/unit.yml")
        transport.queue("POST", "/login", .json(AccountProcessorTests.login))
        let client = ScollectClient(baseURL: "http://127.0.0.1:9", credentials: Credentials(apikey: "k", pin: "1"),
                                    limiter: RateLimiter(ratePerSecond: 1000), audit: nil)
        client.retryPolicy = RetryPolicy(maxAttempts: 3, baseDelay: 0, maxDelay: 0)
        let journal = try RunJournal(path: try makeTemporaryDirectory("journal") + "/journal.sqlite")
        try journal.beginRun(id: "run-1", pipeline: config.name, inputName: "input.csv", inputDigest: "d1", target: "scripted")
        let effects = EffectJournal(journal: journal, runId: "run-1", pipeline: config.name, inputName: "input.csv", inputDigest: "d1",
                                    normalizerName: { _ in nil })
        let processor = AccountProcessor(config: config, client: client, state: RunState(), effects: effects, listedAccounts: [:], options: RunOptions())
        let rows = try AccountProcessorTests.rows(config: config, header: header, values: values)
        return Setup(processor: processor, rows: rows, journal: journal, effects: effects)
    }

    @Test(arguments: [
        ScriptedTransport.Answer.json(#"{"state": "TIMEOUT", "status": "Request timed out"}"#),
        .json(""),
        .json("<html>502 Bad Gateway</html>"),
        .json("{}", status: 502),
        .closedBeforeAnswer,
    ])
    func aNoteWhoseAnswerIsLostIsUnknownWhenItsReadCannotTell(answer: ScriptedTransport.Answer) throws {
        let transport = ScriptedTransport()
        transport.queue("GET", "/getaccount/R1001", .json(AccountProcessorTests.account("R1001", city: "Mobile")))
        let setup = try setUp(transport, pipeline: Self.notePipeline, header: ["Account", "Note"], rows: [["R1001", "promised to pay"]])
        // The baseline, then the settling read fails its attempts.
        transport.queue("GET", "/getnotes/R1001", .json(Self.notes([("LOADER", "an older note")])),
                        .json("{}", status: 500), .json("{}", status: 500), .json("{}", status: 500))
        transport.queue("POST", "/InsertNoteline", answer)
        let outcomes = setup.processor.process(setup.rows, http: transport)
        guard case let .rejected(issue, _) = outcomes[0] else { Issue.record("\(outcomes[0])"); return }
        #expect(issue.reason == .outcomeUnknown)
        #expect(issue.message.contains("settle"))
        #expect(transport.requestLines.filter { $0 == "POST /InsertNoteline" }.count == 1)
        let entries = try setup.journal.entries(runId: "run-1")
        #expect(entries.count == 1)
        #expect(entries.first?.state == .unknown)
        #expect(entries.first?.read == .notes)
        #expect(entries.first?.baseline?.values.reduce(0, +) == 0)
    }

    @Test(arguments: [true, false])
    func aNoteWhoseAnswerIsLostIsLookedUpInGetnotes(landed: Bool) throws {
        let transport = ScriptedTransport()
        transport.queue("GET", "/getaccount/R1001", .json(AccountProcessorTests.account("R1001", city: "Mobile")))
        let setup = try setUp(transport, pipeline: Self.notePipeline, header: ["Account", "Note"], rows: [["R1001", "promised to pay"]])
        // The same note already on the account once (an earlier night): the baseline counts it.
        let before = [("LOADER", "promised to pay")]
        let after = landed ? before + [("loader", "Promised to  pay")] : before
        transport.queue("GET", "/getnotes/R1001", .json(Self.notes(before)), .json(Self.notes(after)), .json(Self.notes(before + [("LOADER", "promised to pay")])))
        transport.queue("POST", "/InsertNoteline", .closedBeforeAnswer, .json(#"{"state": "SUCCESS", "result": "Noteline inserted successfully"}"#))
        let outcomes = setup.processor.process(setup.rows, http: transport)
        guard case .written = outcomes[0] else { Issue.record("\(outcomes[0])"); return }
        #expect(transport.requestLines.filter { $0 == "POST /InsertNoteline" }.count == (landed ? 1 : 2), "\(transport.requestLines)")
        let entry = try #require(try setup.journal.entries(runId: "run-1").first)
        #expect(entry.state == .booked)
        #expect(entry.sends == (landed ? 1 : 2))
    }

    static func notes(_ notes: [(String, String)]) -> String {
        let items = notes.map { #"{"collectorname": "\#($0.0)", "logmessage": "\#($0.1)", "notedate": "11/20/2026"}"# }
        return #"{"state": "SUCCESS", "result": ["# + items.joined(separator: ", ") + "]}"
    }

    @Test func aNoteTheServerRefusedInFullIsRefusedAndMayBeSentAgain() throws {
        let transport = ScriptedTransport()
        transport.queue("GET", "/getaccount/R1001", .json(AccountProcessorTests.account("R1001", city: "Mobile")))
        let setup = try setUp(transport, pipeline: Self.notePipeline, header: ["Account", "Note"], rows: [["R1001", "promised to pay"]])
        transport.queue("POST", "/InsertNoteline", .json(#"{"state": "SUCCESS", "result": {"error": "collector LOADER unknown"}}"#))
        let outcomes = setup.processor.process(setup.rows, http: transport)
        guard case let .rejected(issue, _) = outcomes[0] else { Issue.record("\(outcomes[0])"); return }
        #expect(issue.reason == .apiError, "\(issue.message) \(transport.requestLines)")
        #expect(try setup.journal.entries(runId: "run-1").first?.state == .refused)
    }

    @Test func getpaymentsDoesNotExistMeansNoPaymentsOnceTheAccountIsKnown() throws {
        let transport = ScriptedTransport()
        let setup = try setUp(transport, pipeline: Self.notePipeline, header: ["Account", "Note"], rows: [])
        let ledger = try #require(setup.processor.ledger)
        let notFound = ScriptedTransport.Answer.json(#"{"state": "SUCCESS", "result": [{"error": "File number R1001 does not exist."}, 404]}"#)
        transport.queue("GET", "/getpayments/R1001", notFound, notFound, notFound)
        transport.queue("GET", "/getaccount/R1001", .json(AccountProcessorTests.account("R1001", city: "Mobile")),
                        .json(#"{"state": "SUCCESS", "result": [{"error": "Data not found for this filenumber"}, 404]}"#))
        guard case let .success(known) = try ledger.serverCounts(filenumber: "R1001", http: transport, accountKnown: true) else { Issue.record("known"); return }
        #expect(known.isEmpty)
        #expect(!transport.requestLines.contains("GET /getaccount/R1001"))
        guard case let .success(confirmed) = try ledger.serverCounts(filenumber: "R1001", http: transport, accountKnown: false) else { Issue.record("confirmed"); return }
        #expect(confirmed.isEmpty)
        guard case let .failure(issue) = try ledger.serverCounts(filenumber: "R1001", http: transport, accountKnown: false) else { Issue.record("missing"); return }
        #expect(issue.reason == .accountNotFound)
    }

    /// Every insert endpoint × every shape of a lost answer, through the scripted transport: with
    /// a read, the insert is looked up and sent again only when absent (`landed`: present);
    /// without one (`createCallback`), it is never sent again and the row is `OUTCOME_UNKNOWN`.
    struct InsertCase: Sendable, CustomStringConvertible {
        let endpoint: String
        let writer: String
        let read: String?
        /// The read's answer before the send (the baseline), and after it when the insert landed.
        let before: String
        let landed: String
        var description: String { endpoint }
    }

    static let insertCases = [
        InsertCase(endpoint: "insertphone", writer: "  - insertphone:\n      phones:\n        - { field: cell, type: CELL }\n",
                   read: "getphones", before: AccountProcessorTests.noPhones, landed: AccountProcessorTests.phones(["205-555-0199"])),
        InsertCase(endpoint: "InsertNoteline", writer: "  - InsertNoteline:\n      collectorname: LOADER\n      logmessage: { field: note }\n",
                   read: "getnotes", before: #"{"state": "SUCCESS", "result": [{"error": "File number R1001 does not have any notes or may not exist."}, 404]}"#,
                   landed: notes([("LOADER", "promised to pay")])),
        InsertCase(endpoint: "insertattempt",
                   writer: "  - insertattempt:\n      phonenumber: { field: cell }\n      dispo: { field: note }\n      agent: AGENT7\n",
                   read: "getattempts", before: #"{"state": "SUCCESS", "result": {"result": []}}"#,
                   landed: #"{"state": "SUCCESS", "result": [{"phonenumber": "205-555-0199", "dispo": "PROMISED TO PAY", "agent": "AGENT7", "type": "MANUAL", "date": "Wed, 02 Dec 2026 00:00:00 GMT"}]}"#),
        InsertCase(endpoint: "createCallback", writer: "  - createCallback:\n      date: { field: day }\n      time: \"10:00\"\n      assignedto: AGENT7\n",
                   read: nil, before: "", landed: ""),
    ]

    static let lostShapes: [ScriptedTransport.Answer] = [
        .closedBeforeAnswer, .truncated(status: 200, partialBody: #"{"state": "SUC"#), .json(#"{"state": "TIMEOUT", "status": "Request timed out"}"#),
        .json(""), .json("<html>502 Bad Gateway</html>", status: 502),
    ]

    @Test(arguments: insertCases, [true, false])
    func aLostInsertIsSettledByItsRead(_ insert: InsertCase, landed: Bool) throws {
        for shape in Self.lostShapes {
            let transport = ScriptedTransport()
            transport.queue("GET", "/getaccount/R1001", .json(AccountProcessorTests.account("R1001", city: "Mobile")))
            let pipeline = """
            name: inserts
            source:
              file: input.csv
            mapping:
              filenumber: Account
              note: Note
              cell: Cell
              day: Day
            normalize:
              cell: phone
            writers:
            \(insert.writer)target:
              url: sandbox
              requests_per_second: 1000
            reports:
              folder: out
            """
            let setup = try setUp(transport, pipeline: pipeline, header: ["Account", "Note", "Cell", "Day"],
                                  rows: [["R1001", "promised to pay", "205-555-0199", "2026-12-24"]])
            if let read = insert.read {
                transport.queue("GET", "/\(read)/R1001", .json(insert.before), .json(landed ? insert.landed : insert.before), .json(insert.landed))
            }
            transport.queue("POST", "/\(insert.endpoint)", shape, .json(#"{"state": "SUCCESS", "result": "done"}"#))
            let outcome = setup.processor.process(setup.rows, http: transport)[0]
            let posts = transport.requestLines.filter { $0 == "POST /\(insert.endpoint)" }.count
            let entry = try #require(try setup.journal.entries(runId: "run-1").first, "\(insert) \(shape)")
            #expect(entry.read.rawValue == (insert.read == nil ? "none" : String(insert.read!.dropFirst(3))), "\(insert) \(shape)")
            if insert.read == nil {
                guard case let .rejected(issue, _) = outcome else { Issue.record("\(insert) \(shape): \(outcome)"); continue }
                #expect(issue.reason == .outcomeUnknown && posts == 1 && entry.state == .unknown, "\(insert) \(shape)")
            } else {
                guard case .written = outcome else { Issue.record("\(insert) \(shape) landed \(landed): \(outcome)"); continue }
                #expect(posts == (landed ? 1 : 2) && entry.state == .booked && entry.sends == posts, "\(insert) \(shape) landed \(landed): \(posts) posts")
            }
        }
    }
}
