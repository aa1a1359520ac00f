import Crypto
import Foundation

/// HS256 JSON Web Tokens as flask-jwt-extended issues them for the documented `/login`.
struct SandboxJWT: @unchecked Sendable {  // SymmetricKey is immutable
    let key: SymmetricKey

    enum Failure: Error, Equatable {
        /// Not three base64url segments with a JSON header and payload (HTTP 422).
        case malformed(String)
        /// HMAC does not match (HTTP 422).
        case badSignature
        /// `exp` has passed (HTTP 401).
        case expired
        /// `nbf` is in the future (HTTP 422).
        case notYetValid
        /// Not an access token (HTTP 422).
        case wrongType
    }

    /// Issues an access token. `iat` and `nbf` are the current whole second, `exp = iat + ceil(ttl)`.
    func issue(subject: String, pin: String, ttl: Double, now: Date = Date()) -> String {
        let iat = Int(now.timeIntervalSince1970.rounded(.down))
        let exp = iat + max(0, Int(ttl.rounded(.up)))
        let header: SandboxJSON = ["alg": "HS256", "typ": "JWT"]
        let payload: SandboxJSON = [
            "fresh": false,
            "iat": .int(iat),
            "jti": .string(UUID().uuidString.lowercased()),
            "type": "access",
            "sub": .string(subject),
            "nbf": .int(iat),
            "exp": .int(exp),
            "pin": .string(pin),
        ]
        let signingInput = Self.base64URL(Data(header.jsonString.utf8)) + "." + Self.base64URL(Data(payload.jsonString.utf8))
        let mac = HMAC<SHA256>.authenticationCode(for: Data(signingInput.utf8), using: key)
        return signingInput + "." + Self.base64URL(Data(mac))
    }

    /// Checks a token; returns its claims.
    ///
    /// Expiry is judged in whole seconds (`exp` is an integer): the token is expired once the
    /// current whole second is past `exp`, so it lives between ttl and ttl + 1 seconds.
    func verify(_ token: String, now: Date = Date()) throws(Failure) -> [String: SandboxJSON] {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3 else { throw .malformed("Not enough segments") }
        guard let headerData = Self.decodeBase64URL(parts[0]),
              let header = try? SandboxJSON.parse(headerData), header.objectValue != nil
        else { throw .malformed("Invalid header string") }
        guard header["alg"]?.stringValue == "HS256" else { throw .malformed("The specified alg value is not allowed") }
        guard let payloadData = Self.decodeBase64URL(parts[1]),
              let payload = try? SandboxJSON.parse(payloadData), let claims = payload.objectValue
        else { throw .malformed("Invalid payload string") }
        guard let signature = Self.decodeBase64URL(parts[2]) else { throw .badSignature }
        let signingInput = Data(token.utf8.prefix(parts[0].utf8.count + 1 + parts[1].utf8.count))
        guard HMAC<SHA256>.isValidAuthenticationCode(signature, authenticating: signingInput, using: key) else {
            throw .badSignature
        }
        let second = Int(now.timeIntervalSince1970.rounded(.down))
        if let exp = claims["exp"]?.intValue, second > exp { throw .expired }
        if let nbf = claims["nbf"]?.intValue, second < nbf { throw .notYetValid }
        guard claims["type"]?.stringValue == "access" else { throw .wrongType }
        return claims
    }

    static func base64URL(_ data: Data) -> String {
        data.base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func decodeBase64URL(_ text: Substring) -> Data? {
        var s = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while s.utf8.count % 4 != 0 { s += "=" }
        return Data(base64Encoded: s)
    }
}
