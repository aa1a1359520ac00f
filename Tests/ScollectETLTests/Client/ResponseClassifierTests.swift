import Foundation
@testable import ScollectETL
import Testing

struct ResponseClassifierTests {
    func classify(_ status: Int, _ body: String, headers: [String: String] = [:]) -> ResponseClass {
        ResponseClassifier.classify(HTTPResponse(status: status, headers: headers, body: Data(body.utf8))).0
    }

    @Test func documentedSuccesses() {
        #expect(classify(200, #"{"result": {"success": "Dbase table updated successfully"}, "state": "SUCCESS"}"#) == .success)
        #expect(classify(200, #"{"state": "SUCCESS", "message": "Payment successfully inserted"}"#) == .success)
        #expect(classify(200, #"{"result": [{"filenumber": "R1001"}], "state": "Success"}"#) == .success, "state compared case-insensitively")
    }

    @Test func errorsInsideHTTP200AreNeverSuccess() {
        #expect(classify(200, #"{"result": {"error": "Data not found for this filenumber"}, "state": "SUCCESS"}"#)
            == .errorInBody(message: "Data not found for this filenumber", code: nil))
        #expect(classify(200, #"{"result": [{"error": "The field s does not exist in the dbase table."}, 404], "state": "SUCCESS"}"#)
            == .errorInBody(message: "The field s does not exist in the dbase table.", code: 404))
        #expect(classify(200, #"{"result": {"error": ""}, "state": "SUCCESS"}"#) == .errorInBody(message: "error with no message", code: nil))
        #expect(classify(200, #"{"result": [{"error": "The payment data based on your search criteria does not exist"}, 404]}"#)
            == .errorInBody(message: "The payment data based on your search criteria does not exist", code: 404))
    }

    @Test func emptyResultsAndTimeoutState() {
        #expect(classify(200, #"{"result": {"result": []}, "state": "SUCCESS"}"#) == .emptyResult)
        #expect(classify(200, #"{"result": [], "state": "SUCCESS"}"#) == .emptyResult)
        #expect(classify(200, #"{"state": "TIMEOUT", "status": "At least one update field must be provided."}"#)
            == .timeoutState(status: "At least one update field must be provided."))
    }

    @Test func httpLevelOutcomes() {
        #expect(classify(429, #"{"msg": "Too many requests"}"#, headers: ["retry-after": "2"]) == .rateLimited(retryAfter: 2))
        #expect(classify(401, #"{"msg": "Token has expired"}"#) == .authRejected(message: "Token has expired"))
        #expect(classify(500, "Internal Server Error") == .httpError(status: 500, message: "Internal Server Error"))
        if case .unreadable = classify(200, "<html>proxy error</html>") {} else { Issue.record("non-JSON 200 must be unreadable") }
    }

    @Test func jwtExpiryIsReadFromThePayload() {
        let exp = Int(Date().timeIntervalSince1970) + 600
        let payload = Data(#"{"sub":"x","exp":\#(exp)}"#.utf8).base64EncodedString()
            .replacingOccurrences(of: "=", with: "").replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        let seconds = ScollectClient.secondsUntilExpiry(ofJWT: "eyJhbGciOiJIUzI1NiJ9.\(payload).sig")
        #expect(seconds != nil && abs(seconds! - 600) < 5)
        #expect(ScollectClient.secondsUntilExpiry(ofJWT: "not-a-jwt") == nil)
    }
}
