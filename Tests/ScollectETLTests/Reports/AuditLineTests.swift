import Foundation
@testable import ScollectETL
import ScollectTestSupport
import Testing

/// The audit writes its lines straight into bytes; what it writes is what `JSONValue`'s writer
/// gives the same line built as an object (the form every reader of the audit was written
/// against), key for key and byte for byte, read back from the gzipped file.
struct AuditLineTests {
    static func asObject(_ entry: AuditEntry) -> String {
        var pairs: [(String, JSONValue)] = [
            ("time", .string(AuditReport.timestamp(entry.time))),
            ("method", .string(entry.method)),
            ("endpoint", .string(entry.endpoint)),
            ("filenumber", entry.filenumber.map(JSONValue.string) ?? .null),
            ("request", entry.body.map(Masking.mask) ?? .null),
            ("http_status", entry.httpStatus.map { .number(Double($0)) } ?? .null),
            ("outcome", .string(entry.outcome)),
        ]
        if let message = entry.message.map(Masking.maskSSNs(in:)) { pairs.append(("message", .string(message))) }
        pairs.append(("latency_ms", .number((entry.latencyMs * 10).rounded() / 10)))
        pairs.append(("attempt", .number(Double(entry.attempt))))
        return JSONValue.object(pairs).serialized
    }

    @Test func eachLineIsTheObjectJSONValueWrites() throws {
        let card: JSONValue = .object([("filenumber", .string("R1001")), ("cardnumber", .string("4111 1111 1111 1111")),
                                       ("cvv", .string("123")), ("amount", .number(12.5))])
        let update: JSONValue = .object([("filenumber", .string("R1\"0\\02")), ("fieldname", .string("SocialSecurityNumber")),
                                         ("fieldvalue", .string("123-45-6789"))])
        let entries = [
            AuditEntry(time: Date(timeIntervalSince1970: 1_796_000_000.1234), method: "GET", endpoint: "getaccount", filenumber: "R1001",
                       body: nil, httpStatus: 200, outcome: "success", message: nil, latencyMs: 1.26, attempt: 1),
            AuditEntry(time: Date(timeIntervalSince1970: 0), method: "POST", endpoint: "insert_payments_external", filenumber: nil,
                       body: card, httpStatus: nil, outcome: "transport_error", message: "lost: SSN 123-45-6789 in the answer\n\t\u{1}",
                       latencyMs: 30_000.04, attempt: 5),
            AuditEntry(time: Date(timeIntervalSince1970: 1_796_000_000.9999), method: "PUT", endpoint: "updatedbase", filenumber: "Ré 1",
                       body: update, httpStatus: 503, outcome: "http_error", message: "", latencyMs: 0.04, attempt: 2),
        ]
        let path = try makeTemporaryDirectory("audit-line") + "/audit.jsonl.gz"
        let audit = try AuditReport(path: path, header: [("tool", .string("test"))])
        for entry in entries { audit.record(entry) }
        try audit.finish()
        let lines = try readGzipFile(path).split(separator: "\n").dropFirst().map(String.init)
        #expect(lines == entries.map(Self.asObject))
        #expect(!lines.joined().contains("4111 1111 1111 1111") && !lines.joined().contains("123-45-6789"))
    }
}
