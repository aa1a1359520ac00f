import Foundation
import Testing
@testable import ScollectSandbox

@Suite struct SandboxJSONTests {
    @Test func writesSortedCompactJSON() throws {
        let value: SandboxJSON = ["b": 1, "a": ["x\n\"y\"", nil, true, 1.5], "E-Mail": "é", "CO AMT": 0.0]
        #expect(value.jsonString == #"{"CO AMT":0.0,"E-Mail":"é","a":["x\n\"y\"",null,true,1.5],"b":1}"#)
        #expect(try SandboxJSON.parse(value.jsonString) == value)
    }
}
