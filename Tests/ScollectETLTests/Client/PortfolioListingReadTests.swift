import Foundation
@testable import ScollectETL
import Testing

/// The portfolio listing's keys are mapped to dbase fields once; its phones carry statuses.
struct PortfolioListingReadTests {
    func listing(_ items: String) throws -> String {
        let path = NSTemporaryDirectory() + "listing-\(UUID().uuidString).json"
        try #"{"result": [\#(items)], "state": "SUCCESS"}"#.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func documentKeysBecomeDbaseFieldsAndPhonesKeepTheirStatus() throws {
        let path = try listing(#"""
        {"CBR": "Mon, 01 Jan 1900 00:00:00 GMT", "DOB": "10/18/1965", "MM Address": "15 MAIN ST", "MM City": "GARDEN",
         "Current UPB": "809.00", "SSN": "111-22-3333", "lotno": "r1050", "firstname": "CLAUDIA", "Total Paid since CO": 0.0,
         "Lot_Group_master": null, "phone1": "111-222-3333", "phonestatus1": "Good Number", "phone2": "222-333-4444",
         "phonestatus2": "DO NOT CALL", "phone3": "", "phonestatus3": "", "nested": {"lotno": "X"}},
        {"lotno": "R1051", "MM City": "MARFA"}
        """#)
        defer { try? FileManager.default.removeItem(atPath: path) }
        var accounts: [PortfolioListing.Account] = []
        try PortfolioListing.read(file: path, keeping: ["birthdate", "address", "city", "currentbalance", "socialsecuritynumber", "portfoliogroup"]) {
            accounts.append($0)
        }
        #expect(accounts.map(\.filenumber) == ["R1050", "R1051"])
        let first = accounts[0].snapshot
        #expect(first.fields["birthdate"] == "10/18/1965")
        #expect(first.fields["address"] == "15 MAIN ST" && first.fields["city"] == "GARDEN")
        #expect(first.fields["currentbalance"] == "809.00" && first.fields["socialsecuritynumber"] == "111-22-3333")
        #expect(first.fields.keys.contains("portfoliogroup") && first.fields["portfoliogroup"]! == nil, "null stays null")
        #expect(first.fields["firstname"] == nil, "only the fields asked for are kept")
        #expect(first.phoneDigits == ["1112223333", "2223334444"])
        #expect(first.phoneStatus["2223334444"] == "DO NOT CALL")
        #expect(accounts[0].phonesComplete)
        #expect(accounts[1].snapshot.fields["city"] == "MARFA")
    }

    @Test func fifteenPhonesMeanThePhonesMustBeReadOneByOne() throws {
        let phones = (1...15).map { #""phone\#($0)": "205-555-01\#(String(format: "%02d", $0))""# }.joined(separator: ", ")
        let path = try listing(#"{"lotno": "R1", \#(phones)}"#)
        defer { try? FileManager.default.removeItem(atPath: path) }
        var accounts: [PortfolioListing.Account] = []
        try PortfolioListing.read(file: path, keeping: []) { accounts.append($0) }
        #expect(accounts.count == 1 && accounts[0].snapshot.phoneDigits.count == 15)
        #expect(!accounts[0].phonesComplete)
    }

    @Test func aPipelineReadingListingsMayOnlyCompareFieldsTheListingShows() {
        let pipeline = """
        source: { file: in.csv }
        mapping: { filenumber: A, address: B, middlename: C }
        options: { read_from_portfolios: [ACME] }
        writers: [updatedbase]
        target: { url: sandbox, requests_per_second: 10 }
        reports: { folder: out }
        """
        do {
            _ = try PipelineLoader.parse(pipeline, file: "p.yml")
            Issue.record("middlename is not in the listing: the pipeline must be refused")
        } catch {
            #expect("\(error)".contains("\"middlename\" is not in the portfolio listing"))
        }
        let fine = pipeline.replacingOccurrences(of: ", middlename: C", with: "")
        #expect((try? PipelineLoader.parse(fine, file: "p.yml"))?.readFromPortfolios == ["ACME"])
    }
}
