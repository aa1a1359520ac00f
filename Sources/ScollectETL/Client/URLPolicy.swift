import Foundation

/// Which URLs a run may send credentials to. The apikey, pin, JWT and Basic credentials travel
/// in every request, so plain `http://` is allowed only to a loopback address (the embedded
/// sandbox, a test server on this machine); anything else must be `https://`. Checked before
/// anything is sent (pipeline `target.url`, `SCOLLECT_URL`, `FACTORS_NETWORK_URL`), and each
/// libcurl handle is limited to the protocols its URL may use (`curlProtocols`), so that no
/// other path (a redirect, a URL built later) can reach the network in clear.
public enum URLPolicy {
    public struct Refusal: Error, CustomStringConvertible, Equatable {
        public let description: String
    }

    /// Throws unless `url` is `https://…`, or `http://` to a loopback address.
    /// - Parameter source: how the operator set it, for the message (`SCOLLECT_URL`, `target.url`).
    public static func check(_ url: String, source: String) throws {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
              let host = components.host, !host.isEmpty else {
            throw Refusal(description: "\(source) \"\(redacted(url))\" is not an http(s):// URL")
        }
        switch scheme {
        case "https":
            return
        case "http" where isLoopback(host):
            return
        case "http":
            throw Refusal(description: "\(source) \"\(redacted(url))\" is plain http: credentials would travel in clear; use https:// (http:// is allowed only to a loopback address such as 127.0.0.1 or [::1])")
        default:
            throw Refusal(description: "\(source) \"\(redacted(url))\" must be an https:// URL")
        }
    }

    /// `localhost`, 127.0.0.0/8 and ::1 (with or without brackets).
    public static func isLoopback(_ host: String) -> Bool {
        var name = host.lowercased()
        if name.hasPrefix("[") && name.hasSuffix("]") { name = String(name.dropFirst().dropLast()) }
        if name == "localhost" { return true } // libcurl resolves it to loopback itself
        var v6 = in6_addr()
        if inet_pton(AF_INET6, name, &v6) == 1 {
            var loopback = in6addr_loopback
            return withUnsafeBytes(of: &v6) { a in withUnsafeBytes(of: &loopback) { b in a.elementsEqual(b) } }
        }
        // Dotted quads only: inet_pton refuses the short and octal forms ("127.1", "0177.0.0.1")
        // that other parsers read differently.
        var v4 = in_addr()
        guard inet_pton(AF_INET, name, &v4) == 1 else { return false }
        return UInt32(bigEndian: v4.s_addr) >> 24 == 127
    }

    /// The protocols a libcurl handle may use for `url` (CURLOPT_PROTOCOLS_STR): `https`, and
    /// `http` besides only for a loopback address.
    public static func curlProtocols(for url: String) -> String {
        guard let host = URLComponents(string: url)?.host, isLoopback(host) else { return "https" }
        return "http,https"
    }

    /// `scheme://authority` of a URL (up to the path, query or fragment), nil without `://`.
    /// Two URLs with the same origin get the same `curlProtocols`.
    static func origin(of url: String) -> Substring? {
        guard let offset = UTF8Search.firstOffset(of: "://", in: url) else { return nil }
        // Over the UTF-8 bytes: a search over Characters (grapheme breaking) cost ~10 k
        // instructions per call, more than the rest of the request's setup.
        let bytes = url.utf8
        let end = bytes[bytes.index(bytes.startIndex, offsetBy: offset + 3)...].firstIndex { $0 == 0x2F || $0 == 0x3F || $0 == 0x23 } ?? bytes.endIndex
        return url[..<end]
    }

    /// The URL without a user or password part.
    static func redacted(_ url: String) -> String {
        guard var components = URLComponents(string: url), components.user != nil || components.password != nil else { return url }
        components.user = nil
        components.password = nil
        return components.string ?? url
    }
}
