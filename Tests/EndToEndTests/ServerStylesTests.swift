import Foundation
import ScollectETL
import ScollectSandbox
import ScollectTestSupport
import Testing

/// Issue 18 over real HTTP: the sandbox is seeded from `liveSeed`, whose R5xxx accounts hold
/// values in the document's styles (M/D/YYYY and RFC 1123 dates, ` 4,000`, `000-00-0000`,
/// `0000-00-00 00:00:00`, 1900 sentinels, mixed-case phone statuses). Each test loads a real
/// file through a real pipeline and reads the audit, the rejects and the accounts back.
@Suite(.serialized)
struct ServerStylesTests {
    struct Setup {
        let server: SandboxServer
        let folder: String
        let target: RunTarget
        let api: TestAPI
    }

    func start() throws -> Setup {
        let (server, folder) = try startSampleSandbox(seed: liveSeed)
        let target = RunTarget(baseURL: server.baseURL, credentials: Credentials(apikey: SandboxConfiguration.defaultAPIKey, pin: SandboxConfiguration.defaultPIN),
                               description: "live sandbox \(server.baseURL)", journalPath: folder + "/journal.sqlite")
        return Setup(server: server, folder: folder, target: target, api: try TestAPI(baseURL: server.baseURL))
    }

    /// Writes `csv` and a pipeline around it (`sections`: mapping, normalize, options, writers),
    /// loads it, runs it.
    func load(_ setup: Setup, csv: String, sections: String) throws -> RunSummary {
        let name = "live-\(UUID().uuidString.prefix(8))"
        try csv.write(toFile: setup.folder + "/\(name).csv", atomically: true, encoding: .utf8)
        let yaml = """
            name: \(name)
            source:
              file: \(name).csv
            \(sections)
            target:
              url: sandbox
              requests_per_second: 2000
            reports:
              folder: reports
            """
        let path = setup.folder + "/\(name).yml"
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        return PipelineRunner(config: try PipelineLoader.load(path: path), target: setup.target).run()
    }

    /// The write calls of a run, as `endpoint filenumber field=value…` (the audit's request bodies).
    func writes(_ summary: RunSummary) throws -> [String] {
        try readGzipFile(summary.reportFolder + "/audit.jsonl.gz").split(separator: "\n").dropFirst().compactMap { line -> String? in
            let entry = try #require(JSONValue.parse(Data(line.utf8)))
            let endpoint = entry["endpoint"]?.stringValue ?? ""
            guard !endpoint.hasPrefix("get"), endpoint != "login", let body = entry["request"]?.objectValue else { return nil }
            let fields = body.filter { $0.0 != "filenumber" }.map { "\($0.0)=\($0.1.stringValue ?? $0.1.serialized)" }.sorted()
            return ([endpoint, entry["filenumber"]?.stringValue ?? "-"] + fields).joined(separator: " ")
        }.sorted()
    }

    func rejects(_ summary: RunSummary) throws -> [[String: String]] {
        try readCSVRecords(summary.reportFolder + "/rejects.csv.gz").filter { $0["_reject_kind"] != "warning" }
    }

    func phone(_ api: TestAPI, _ filenumber: String, _ number: String) throws -> (type: String, status: String) {
        let phones = try api.get("/getphones/\(filenumber)")["result"]?.arrayValue ?? []
        let item = try #require(phones.first { $0["phonenumber"]?.stringValue == number })
        return (item["phonetype"]?.stringValue ?? "", item["phonestatus"]?.stringValue ?? "")
    }

    // Case 1: Scollect's `3/6/2013` is 6 March, whatever the file's day_first says.
    @Test func serverDatesAreReadInTheServersStylesNotWithTheFilesDayFirst() throws {
        let setup = try start()
        defer { setup.server.stop() }
        #expect(try setup.api.account("R5001")["birthdate"] == "3/6/2013")
        let summary = try load(setup, csv: """
            Account,DOB,Opened,Charged Off
            R5001,06/03/2013,06/03/2013,03/06/2013

            """, sections: """
            mapping: { filenumber: Account, birthdate: DOB, dateaccountopened: Opened, datechargedoff: Charged Off }
            normalize: { birthdate: date, dateaccountopened: date, datechargedoff: date }
            options: { day_first: true }
            writers: [updatedbase]
            """)
        #expect(summary.exitCode == .done, "\(summary.table)")
        // 6 March in the file = 3/6/2013 and `Wed, 06 Mar 2013…` on the server: nothing sent;
        // 3 June in the file against the server's 6 March (`2013-03-06`): sent.
        #expect(try writes(summary) == ["updatedbase R5001 fieldname=datechargedoff fieldvalue=2013-06-03"])
        #expect(try setup.api.account("R5001")["datechargedoff"] == "2013-06-03")

        // Rollback reads the server the same way: the same day rewritten in the server's M/D/YYYY
        // (`6/3/2013` = 3 June) still holds the run's value and is restored; a real change is left.
        _ = try setup.api.post("/updatedbase", ["filenumber": "R5001", "fieldname": "datechargedoff", "fieldvalue": "6/3/2013"], method: "PUT")
        var options = RollbackRunner.Options()
        options.requestsPerSecond = 2000
        let journal = try RunJournal(path: setup.target.journalPath!)
        let rollback = RollbackRunner(journal: journal, runId: summary.runId, target: setup.target, options: options).run(reportFolder: setup.folder + "/rollbacks")
        #expect(rollback.exitCode == .done && rollback.restoredCount == 1, "\(rollback.changedSince)")
        #expect(try setup.api.account("R5001")["datechargedoff"] == "2013-03-06")
    }

    // Case 2: the file's "nothing" values never overwrite; only the clear marker clears.
    @Test func filesNothingValuesNeverOverwriteAndTheClearMarkerWins() throws {
        let setup = try start()
        defer { setup.server.stop() }
        let sections = """
            mapping: { filenumber: Account, city: City, address: Address, address2: Address 2, birthdate: DOB, employer: Employer,
                       zip: Zip, dateaccountopened: Opened, datechargedoff: Charged Off }
            normalize: { birthdate: date, dateaccountopened: date, datechargedoff: date }
            options: { clear_marker: "<CLEAR>" }
            writers: [updatedbase]
            """
        let summary = try load(setup, csv: """
            Account,City,Address,Address 2,DOB,Employer,Zip,Opened,Charged Off
            R5002,NULL,N/A,<CLEAR>,1/1/1900,none,"   ",0000-00-00,"Sun, 31 Dec 1899 00:00:00 GMT"
            R5001,null,n/a,,12/31/1899,None,,0000-00-00 00:00:00,1900-01-01

            """, sections: sections)
        #expect(summary.exitCode == .done, "\(summary.table)")
        #expect(try writes(summary) == ["updatedbase R5002 fieldname=address2 fieldvalue="])
        let r5002 = try setup.api.account("R5002")
        #expect(r5002["city"] == "BIRMINGHAM" && r5002["address"] == "100 MAIN ST" && r5002["employer"] == "ACME STEEL")
        #expect(r5002["birthdate"] == "10/18/1965" && r5002["zip"] == "35203" && r5002["dateaccountopened"] == "5/16/2017")

        // The list is the pipeline's; a clear marker that is also a "nothing" value clears.
        let custom = try load(setup, csv: """
            Account,City,Address,Address 2,DOB,Employer,Zip,Opened,Charged Off
            R5002,NULL,N/A,,,none,,,

            """, sections: sections.replacingOccurrences(of: #"clear_marker: "<CLEAR>""#, with: #"clear_marker: "NULL", no_news_values: [N/A]"#))
        #expect(custom.exitCode == .done, "\(custom.table)")
        #expect(try writes(custom) == ["updatedbase R5002 fieldname=city fieldvalue=", "updatedbase R5002 fieldname=employer fieldvalue=none"])
    }

    // Case 2, payments: a "nothing" value in a required field is a missing field.
    @Test func nothingValueInARequiredPaymentFieldIsMissingField() throws {
        let setup = try start()
        defer { setup.server.stop() }
        let input = setup.folder + "/payments.csv"
        try """
            Account Number,Payment Date,Amount,Payor,Method,Card Type,Card Number,CVV,Exp,Bank Account,Routing,Account Type,Reference,Fees Accepted
            R5009,11/19/2026,N/A,IRIS TATE,CASH,,,,,,,,INV-18-1,0
            R5009,NULL,25.00,IRIS TATE,CASH,,,,,,,,INV-18-2,0
            R5009,11/19/2026,USD 25.00,IRIS TATE,CASH,,,,,,,,INV-18-3,0

            """.write(toFile: input, atomically: true, encoding: .utf8)
        var config = try PipelineLoader.load(path: repositoryPath("Pipelines/bulk-payments.yml"))
        config.reportsFolder = setup.folder + "/reports"
        config.target.requestsPerSecond = 2000
        var options = RunOptions()
        options.inputOverride = input
        let summary = PipelineRunner(config: config, target: setup.target, options: options).run()
        #expect(summary.exitCode == .doneWithRejects, "\(summary.table)")
        let rejected = try rejects(summary).map { "\($0["_reject_reason"]!) \($0["_reject_field"]!)" }.sorted()
        #expect(rejected == ["MISSING_FIELD paymentamount", "MISSING_FIELD paymentdate"])
        #expect(try rejects(summary).allSatisfy { $0["_reject_message"]?.contains("no-news value") == true })
        #expect(try writes(summary).count == 1)
        #expect(try setup.api.paymentCounts("R5009").values.reduce(0, +) == 1)
    }

    // Case 3: Scollect's placeholders are empty for keep and comparisons…
    @Test func serverPlaceholdersAreEmptyForKeepAndComparisons() throws {
        let setup = try start()
        defer { setup.server.stop() }
        let summary = try load(setup, csv: """
            Account,SSN,DOB,Opened,Charged Off,City,SOL
            R5003,234-56-7890,2/3/1970,4/5/2015,1/2/2020,HOOVER,<CLEAR>

            """, sections: """
            mapping: { filenumber: Account, socialsecuritynumber: SSN, birthdate: DOB, dateaccountopened: Opened, datechargedoff: Charged Off,
                       city: City, statuteoflimdate: SOL }
            normalize: { socialsecuritynumber: ssn, birthdate: date, dateaccountopened: date, datechargedoff: date, statuteoflimdate: date }
            options: { clear_marker: "<CLEAR>" }
            writers:
              - updatedbase: { keep: [socialsecuritynumber, birthdate, dateaccountopened, datechargedoff, city] }
            """)
        #expect(summary.exitCode == .done, "\(summary.table)")
        // Every kept field held a placeholder, so each is filled; the SOL date is already empty
        // (`12/31/1899`), so clearing it sends nothing.
        let written = try writes(summary)
        #expect(written == [
            "updatedbase R5003 fieldname=birthdate fieldvalue=1970-02-03",
            "updatedbase R5003 fieldname=city fieldvalue=HOOVER",
            "updatedbase R5003 fieldname=dateaccountopened fieldvalue=2015-04-05",
            "updatedbase R5003 fieldname=datechargedoff fieldvalue=2020-01-02",
            "updatedbase R5003 fieldname=socialsecuritynumber fieldvalue=***-**-7890", // the audit shows SSNs as last 4
        ], "\(written)")
        #expect(try setup.api.account("R5003")["socialsecuritynumber"] == "234-56-7890")
    }

    // …and in exports.
    @Test func exportsWriteServerPlaceholdersEmpty() throws {
        let setup = try start()
        defer { setup.server.stop() }
        let path = setup.folder + "/export.yml"
        try """
            name: live-export
            source:
              scollect: { portfolios: ["ACME LIVE 2026-12"], include: [account, phones] }
            sink: { file: export.csv, format: csv }
            columns:
              - { name: Account, from: filenumber }
              - { name: SSN, from: socialsecuritynumber, format: ssn }
              - { name: DOB, from: birthdate, format: date }
              - { name: Opened, from: dateaccountopened, format: date }
              - { name: Charged Off, from: datechargedoff, format: date }
              - { name: SOL, from: statuteoflimdate, format: date }
              - { name: City, from: city }
              - { name: Balance, from: currentbalance, format: money }
              - { name: Phone Changed, from: phones.first.lastchange, format: date }
            target: { url: sandbox, requests_per_second: 2000 }
            reports: { folder: reports }
            """.write(toFile: path, atomically: true, encoding: .utf8)
        let config = try ExportPipelineLoader.load(path: path)
        let target = RunTarget(baseURL: setup.server.baseURL, credentials: Credentials(apikey: SandboxConfiguration.defaultAPIKey, pin: SandboxConfiguration.defaultPIN),
                               description: "live sandbox")
        let summary = ExportRunner(config: config, target: target).run()
        #expect(summary.exitCode == .done, "\(summary.table)")
        let rows = try readCSVRecords(setup.folder + "/export.csv")
        let r5003 = try #require(rows.first { $0["Account"] == "R5003" })
        for column in ["SSN", "DOB", "Opened", "Charged Off", "SOL", "City"] {
            #expect(r5003[column] == "", "R5003 \(column): \(r5003[column] ?? "nil")")
        }
        let r5001 = try #require(rows.first { $0["Account"] == "R5001" })
        #expect(r5001["DOB"] == "2013-03-06" && r5001["Opened"] == "2013-03-06" && r5001["Balance"] == "4000.00")
        // getphones' zero date on a phone never changed; a real one is written.
        #expect(rows.first { $0["Account"] == "R5004" }?["Phone Changed"] == "")
        #expect(rows.first { $0["Account"] == "R5005" }?["Phone Changed"]?.count == 10)
    }

    // Case 4: updatephone compares ignoring case, sends as configured, and sends the other half as the phone has it.
    @Test func updatephoneComparesIgnoringCaseAndSendsTheOtherHalfAsItIs() throws {
        let setup = try start()
        defer { setup.server.stop() }
        let summary = try load(setup, csv: """
            Account,Phone,Status
            R5004,205-555-0101,good number
            R5005,205-555-0102,Disconnected
            R5006,205-555-0103,Good Number

            """, sections: """
            mapping: { filenumber: Account, phone: Phone, phone_status: Status }
            normalize: { phone: phone }
            writers:
              - updatephone: { phones: [{ field: phone, status: { field: phone_status } }] }
            """)
        #expect(summary.exitCode == .done, "\(summary.table)")
        #expect(try writes(summary) == [
            "updatephone R5005 phonenumber=205-555-0102 phonestatus=Disconnected phonetype=Home",
            "updatephone R5006 phonenumber=205-555-0103 phonestatus=Good Number phonetype=UNKNOWN",
        ])
        #expect(try phone(setup.api, "R5004", "205-555-0101") == ("Home", "Good Number"))
        #expect(try phone(setup.api, "R5005", "205-555-0102") == ("Home", "Disconnected"))
        #expect(try phone(setup.api, "R5006", "205-555-0103") == ("UNKNOWN", "Good Number"))
    }

    // Case 5: amounts with USD are dollars; another code is rejected by name.
    @Test func amountsWithUSDAreDollarsOtherCodesAreRejectedByName() throws {
        let setup = try start()
        defer { setup.server.stop() }
        let summary = try load(setup, csv: """
            Account,Current Balance,Original Balance,Principal
            R5007,"USD 4,000.00",809.00 USD,"US$1,300"
            R5008,EUR 12.00,,

            """, sections: """
            mapping: { filenumber: Account, currentbalance: Current Balance, originalbalance: Original Balance, principal: Principal }
            normalize: { currentbalance: money, originalbalance: money, principal: money }
            writers: [updatedbase]
            """)
        #expect(summary.exitCode == .doneWithRejects, "\(summary.table)")
        // ` 4,000` on the server = `USD 4,000.00`; `809.00` = `809.00 USD`; ` 1,250.00` ≠ `US$1,300`.
        #expect(try writes(summary) == ["updatedbase R5007 fieldname=principal fieldvalue=1300.00"])
        let rejected = try rejects(summary)
        #expect(rejected.count == 1)
        #expect(rejected.first?["_reject_reason"] == "INVALID_MONEY")
        #expect(rejected.first?["_reject_message"]?.contains("EUR is not US dollars") == true, "\(rejected)")
        #expect(try setup.api.account("R5008")["currentbalance"] == "12.00")
    }
}
