import Foundation
import ScollectETL
import ScollectSandbox
import ScollectTestSupport
import Testing

/// `guess` drafts pipelines that `run` accepts unchanged; `preview` shows what a reader and a
/// pipeline make of a file, without calling the API.
@Suite(.serialized)
struct GuessAndPreviewTests {
    let cli = CommandLineTests()

    @Test(arguments: ["placement.csv", "placement.xlsx", "placement.xml", "placement.json", "payments.csv", "payment-plans.csv"])
    func aGuessedPipelineRunsUnchanged(file: String) throws {
        let folder = try makeTemporaryDirectory("guess")
        let pipeline = folder + "/guessed.yml"
        let guessed = try cli.run(["guess", repositoryPath("SampleData/\(file)"), "-o", pipeline, "--requests-per-second", "1000"], environment: [:], in: folder)
        #expect(guessed.status == 0, "stderr: \(guessed.stderr)")
        let text = try String(contentsOfFile: pipeline, encoding: .utf8)
        #expect(text.contains("filenumber:"))

        let (server, _) = try startSampleSandbox()
        defer { server.stop() }
        let ran = try cli.run(["run", pipeline, "--quiet"], environment: [
            "SCOLLECT_URL": server.baseURL, "SCOLLECT_APIKEY": SandboxConfiguration.defaultAPIKey, "SCOLLECT_PIN": SandboxConfiguration.defaultPIN,
            "SCOLLECT_JOURNAL": folder + "/journal.sqlite",
        ], in: folder)
        #expect(ran.status == 0 || ran.status == 1, "run of the guessed pipeline: \(ran.status)\n\(ran.stderr)\n\(text)")
        if file.hasPrefix("placement") {
            // The guess recognised the columns a load needs, so the load wrote something.
            let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder + "/reports/\(file.split(separator: ".")[0])/latest/summary.json"))) as! [String: Any]
            #expect((summary["written"] as? Int ?? 0) > 150, "\(summary)")
        }
    }

    @Test func aGuessRecognisesColumnsByTheirValuesWhenHeadersSayNothing() throws {
        let guesser = PipelineGuesser(header: ["ID", "C1", "C2", "C3"], rows: [
            ["A1", "123-45-6789", "(205) 555-0134", "misc"],
            ["A2", "234-56-7890", "205.555.0199 x12", "misc"],
        ])
        #expect(guesser.columns.map(\.field) == ["filenumber", "socialsecuritynumber", "home_phone", nil])
        #expect(guesser.columns[1].evidence == "values")
        let text = guesser.pipelineText(name: "x", sourcePath: "x.csv", reader: "csv")
        #expect(text.contains("socialsecuritynumber: ssn"))
        #expect(!text.contains("123-45-6789"), "samples in comments are masked")
    }

    @Test func theRecordElementOfAnXMLFileIsTheShallowestRepeatingOne() {
        let xml = Array("<Export><Header><Date>1</Date></Header><Accounts><Account><Id>1</Id></Account><Account><Id>2</Id></Account></Accounts></Export>".utf8)
        #expect(PipelineGuesser.guessRecordElement(xmlPrefix: xml) == "Export/Accounts/Account")
    }

    @Test func previewOfAPipelineShowsNormalisedFieldsAndRejectReasonsWithoutCallingTheAPI() throws {
        let folder = try makeTemporaryDirectory("preview")
        let outcome = try cli.run(["preview", repositoryPath("Pipelines/nightly-placement.yml"), "--rows", "0", "--format", "jsonl"], environment: [
            "SCOLLECT_URL": "http://127.0.0.1:9", "SCOLLECT_APIKEY": "k", "SCOLLECT_PIN": "p",
        ], in: folder)
        #expect(outcome.status == 0, "stderr: \(outcome.stderr)")
        let lines = outcome.stdout.split(separator: "\n").compactMap { JSONValue.parse(Data($0.utf8)) }
        let expected = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: repositoryPath("SampleData/placement.expected.json")))) as! [String: Any]
        #expect(lines.count == expected["rows"] as? Int)
        // Rejected for their values: every expected reject but the one the API decides (unknown account).
        let rejected = lines.filter { ($0["reject"]?.stringValue ?? "").hasPrefix("INVALID") || ($0["reject"]?.stringValue ?? "").hasPrefix("MISSING") }
        #expect(rejected.count == 9)
        let first = try #require(lines.first)
        #expect(first["fields"]?["birthdate"]?.stringValue?.wholeMatch(of: /\d{4}-\d{2}-\d{2}/) != nil)
        #expect(!FileManager.default.fileExists(atPath: folder + "/.scollect"), "no sandbox, no API")
    }

    @Test func previewOfAPaymentFileMasksCardData() throws {
        let folder = try makeTemporaryDirectory("preview")
        let outcome = try cli.run(["preview", repositoryPath("SampleData/payments.csv"), "--rows", "0"], environment: [:], in: folder)
        #expect(outcome.status == 0)
        for card in try PaymentImportTests.cardNumbers(in: "SampleData/payments.csv", column: "Card Number") {
            #expect(!outcome.stdout.contains(card))
        }
    }
}
