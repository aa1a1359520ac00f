import Foundation
import ScollectETL
import ScollectSandbox
import ScollectTestSupport
import Testing

/// Canary values — a Luhn-valid card number written with spaces and with dashes, a CVV, an
/// SSN — planted in a payment import and a placement, parseable rows and rows that cannot be
/// parsed alike, run from the command line (`--verbose`) against a sandbox over real HTTP, then
/// exported. Every artifact left behind (reports, the journal with its WAL, logs,
/// acknowledgement, export, spool files) is read back, gz files decompressed: no card number
/// and no CVV anywhere, the full SSN only in a rejects report.
@Suite(.serialized)
struct CanaryTests {
    static let pan = "4539148803436467"
    static let panSpaced = "4539 1488 0343 6467"
    static let panDashed = "4539-1488-0343-6467"
    static let cvv = "8472"
    static let ssn = "287-65-4321"

    /// The canaries in every spelling they could be written in. The CVV, a short number, as a
    /// value of its own (a CSV field, a JSON string, a word), so that the digits of a run id or
    /// of encrypted bytes are not taken for it.
    static let panPattern = "4539[ -]?1488[ -]?0343[ -]?6467"
    static let cvvPattern = #"(?:^|[,"\s:;|=])8472(?:$|[,"\s;|])"#
    static let ssnPattern = "287[ -]?65[ -]?4321"

    static func matches(_ pattern: String, _ text: String) -> Bool {
        let regex = try! NSRegularExpression(pattern: pattern, options: [.anchorsMatchLines])
        return regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
    }

    /// Every file under `root` as text (gz files decompressed), by path.
    static func artifacts(under root: String) throws -> [(String, String)] {
        var result: [(String, String)] = []
        let enumerator = FileManager.default.enumerator(atPath: root)
        while let relative = enumerator?.nextObject() as? String {
            let path = root + "/" + relative
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
            if path.hasSuffix(".gz") {
                result.append((relative, try readGzipFile(path)))
            } else if let data = FileManager.default.contents(atPath: path) {
                result.append((relative, String(decoding: data, as: UTF8.self)))
            }
        }
        return result
    }

    /// Rows of the payment file: parseable, with an extra field, with a stray quote.
    static let payments = """
        Account Number,Payment Date,Amount,Payor,Method,Card Type,Card Number,CVV,Exp,Bank Account,Routing,Account Type,Reference,Fees Accepted
        R3099,11/19/2026,$12.34,DAVID HAYES,CREDIT CARD,VISA,\(panSpaced),\(cvv),11/2030,,,,INV-CANARY-1,0
        R3043,11/19/2026,10.00,AMANDA SULLIVAN,CREDIT CARD,VISA,\(panDashed),\(cvv),11/2030,,,,INV-CANARY-2,0,EXTRA
        R3043,11/19/2026,10.00,AMANDA "SULLIVAN,CREDIT CARD,VISA,\(panSpaced),\(cvv),11/2030,,,,INV-CANARY-3,0
        R3043,13/45/2026,10.00,AMANDA SULLIVAN,CREDIT CARD,VISA,\(panDashed),\(cvv),11/2030,,,,INV-CANARY-4,0

        """.replacingOccurrences(of: "\n", with: "\r\n")

    /// The sample placement's first rows with the canaries: the SSN on an exported account, a
    /// card number in the creditor's notes, and a row that cannot be parsed.
    static func placement() throws -> String {
        let text = try String(contentsOfFile: repositoryPath("SampleData/placement.csv"), encoding: .isoLatin1)
        let lines = text.replacingOccurrences(of: "\r\n", with: "\n").components(separatedBy: "\n")
        let header = lines[0].split(separator: ",").map(String.init)
        let samples = try readCSVRecords(repositoryPath("SampleData/placement.csv"))
        func line(_ row: [String: String]) -> String { header.map { CSVFormatting.field(row[$0] ?? "") }.joined(separator: ",") }
        var onExported = samples[0]
        onExported["Account Number"] = "R1050"
        onExported["SSN"] = ssn
        onExported["Creditor Notes"] = "paid by card \(panSpaced)"
        var withNotes = samples[1]
        withNotes["SSN"] = ssn.replacingOccurrences(of: "-", with: "")
        withNotes["Creditor Notes"] = "card \(panDashed) on file"
        var badDate = samples[2]
        badDate["SSN"] = ssn
        badDate["DOB"] = "13/45/1960"
        let broken = line(samples[3]) + ",\(panSpaced),\(ssn)"           // an extra field
        return ([lines[0], line(onExported), line(withNotes), line(badDate), broken].joined(separator: "\r\n")) + "\r\n"
    }

    func pipeline(_ name: String, in folder: String, edit: (String) -> String) throws -> String {
        let text = edit(try String(contentsOfFile: repositoryPath("Pipelines/\(name).yml"), encoding: .utf8))
        let path = folder + "/\(name).yml"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func noCardNumberOrCVVAnywhereAndTheFullSSNOnlyInRejectsReports() throws {
        let (server, _) = try startSampleSandbox()
        defer { server.stop() }
        let base = try makeTemporaryDirectory("canary")
        let inbox = base + "/inbox", work = base + "/work"
        for folder in [inbox, work] { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
        try Self.payments.write(toFile: inbox + "/payments.csv", atomically: true, encoding: .utf8)
        try Self.placement().write(toFile: inbox + "/placement.csv", atomically: true, encoding: .utf8)
        let keyFile = base + "/journal.key"
        try Data((0..<32).map { UInt8($0) }).base64EncodedString().write(toFile: keyFile, atomically: true, encoding: .utf8)
        chmod(keyFile, 0o600)

        let payments = try pipeline("bulk-payments", in: work) {
            $0.replacingOccurrences(of: "../SampleData/payments.csv", with: inbox + "/payments.csv")
                .replacingOccurrences(of: "../reports/", with: work + "/reports/")
        }
        let placement = try pipeline("nightly-placement", in: work) {
            $0.replacingOccurrences(of: "../SampleData/placement.csv", with: inbox + "/placement.csv")
                .replacingOccurrences(of: "../reports/", with: work + "/reports/")
                .replacingOccurrences(of: "  format: csv                      # or xlsx; written into the run's report folder",
                                      with: "  format: csv\n  folder: \(work)/acknowledgements")
        }
        let export = try pipeline("portfolio-export-csv", in: work) {
            $0.replacingOccurrences(of: "../exports/", with: work + "/exports/").replacingOccurrences(of: "../reports/", with: work + "/reports/")
        }
        let environment = ["SCOLLECT_URL": server.baseURL, "SCOLLECT_APIKEY": SandboxConfiguration.defaultAPIKey,
                           "SCOLLECT_PIN": SandboxConfiguration.defaultPIN, JournalKey.environmentVariable: keyFile]
        var logs: [(String, String)] = []
        for (name, arguments) in [("payments", ["run", payments, "--verbose"]), ("placement", ["run", placement, "--verbose"]),
                                  ("export", ["run", export, "--verbose"])] {
            let outcome = try CommandLineTests().run(arguments, environment: environment, in: work)
            #expect([0, 1].contains(outcome.status), "\(name): exit \(outcome.status)\n\(outcome.stderr)")
            logs.append(("\(name) stdout", outcome.stdout))
            logs.append(("\(name) stderr", outcome.stderr))
        }
        // The canaries went through: the SSN is on the exported account, the card was booked.
        let api = try TestAPI(baseURL: server.baseURL)
        #expect(try api.account("R1050")["socialsecuritynumber"] == Self.ssn)
        #expect(try api.paymentCounts("R3099")[PaymentKey(date: "2026-11-19", cents: 1234)] == 1)

        let artifacts = try Self.artifacts(under: work) + logs
        let names = artifacts.map(\.0)
        #expect(names.contains { $0.hasSuffix("rejects.csv.gz") } && names.contains { $0.hasSuffix("audit.jsonl.gz") })
        #expect(names.contains { $0.hasPrefix("acknowledgements/") } && names.contains { $0.hasPrefix("exports/") })
        #expect(names.contains { $0.contains(".scollect/journals/") && $0.hasSuffix(".sqlite") }, "\(names)")
        for (name, text) in artifacts {
            #expect(!Self.matches(Self.panPattern, text), "card number in \(name)")
            #expect(!Self.matches(Self.cvvPattern, text), "CVV in \(name)")
            if !name.hasSuffix("rejects.csv.gz") { #expect(!Self.matches(Self.ssnPattern, text), "full SSN in \(name)") }
        }
        // The rejects reports still tell the operator what to fix, SSN included.
        let rejects = artifacts.filter { $0.0.hasSuffix("rejects.csv.gz") }.map(\.1).joined()
        #expect(rejects.contains(Self.ssn))
        #expect(rejects.contains("453914******6467"))
    }
}
