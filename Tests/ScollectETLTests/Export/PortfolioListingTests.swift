import Foundation
@testable import ScollectETL
import ScollectTestSupport
import Testing

/// A portfolio listing is spooled to a file and scanned for its file numbers, so an export's
/// memory does not follow the portfolio's size.
struct PortfolioListingTests {
    @Test func fileNumbersAreScannedAcrossChunkBoundariesInOrder() throws {
        let folder = try makeTemporaryDirectory("listing")
        let path = folder + "/listing.json"
        // About 3 MB: several 1 MiB reads, so keys and values fall across chunk ends.
        var text = #"{"result":["#
        var expected: [String] = []
        for i in 0..<30_000 {
            let filenumber = "R\(100_000 + i)"
            expected.append(filenumber)
            if i > 0 { text += "," }
            text += #"{"First Name":"A \"quoted\" name","lotno":"\#(filenumber)","MM Address":"1 MAIN ST, APT \#(i)","Balance":"\#(i).00"}"#
        }
        text += #"],"state":"SUCCESS"}"#
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        #expect(ScollectClient.startsAsSuccessList(path))
        #expect(try ExportRunner.filenumbers(inFile: path) == expected)
    }

    @Test func errorAnswersAreNotTakenForAList() throws {
        let folder = try makeTemporaryDirectory("listing")
        for (text, isList) in [
            (#"{"result": [{"error": "Portfolio not found"}, 404], "state": "SUCCESS"}"#, false),
            (#"{"result": {"error": "Missing portfolio"}, "state": "SUCCESS"}"#, false),
            (#"{"state": "SUCCESS", "result": [ {"lotno": "R1"} ]}"#, true),
            (#"{"result": [], "state": "SUCCESS"}"#, true),
            (#"{"msg": "Token has expired"}"#, false),
        ] {
            let path = folder + "/answer.json"
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            #expect(ScollectClient.startsAsSuccessList(path) == isList, "\(text)")
        }
    }
}
