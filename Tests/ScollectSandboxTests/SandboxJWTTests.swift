import Foundation
import Testing
@testable import ScollectSandbox

/// Tokens on a synthetic clock.
@Suite struct SandboxJWTTests {
    let jwt = SandboxJWT(key: .init(size: .bits256))

    @Test func verifiesItsOwnTokens() throws {
        let now = Date(timeIntervalSince1970: 1_700_000_000.7)
        let token = jwt.issue(subject: "k", pin: "p", ttl: 10, now: now)
        let claims = try jwt.verify(token, now: now)
        #expect(claims["iat"] == 1_700_000_000)
        #expect(claims["exp"] == 1_700_000_010)
        #expect(claims["sub"] == "k")
        // Valid through the whole second of exp, expired after it.
        #expect(throws: Never.self) { _ = try jwt.verify(token, now: Date(timeIntervalSince1970: 1_700_000_010.9)) }
        #expect(throws: SandboxJWT.Failure.expired) { _ = try jwt.verify(token, now: Date(timeIntervalSince1970: 1_700_000_011)) }
        #expect(throws: SandboxJWT.Failure.notYetValid) { _ = try jwt.verify(token, now: Date(timeIntervalSince1970: 1_699_999_999)) }
    }

    @Test func rejectsOtherKeysAndGarbage() {
        let token = SandboxJWT(key: .init(size: .bits256)).issue(subject: "k", pin: "p", ttl: 10)
        #expect(throws: SandboxJWT.Failure.badSignature) { _ = try jwt.verify(token) }
        #expect(throws: SandboxJWT.Failure.malformed("Not enough segments")) { _ = try jwt.verify("abc") }
    }
}
