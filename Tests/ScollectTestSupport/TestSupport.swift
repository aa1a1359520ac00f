import CZlib
import Foundation
import ScollectETL
import ScollectSandbox

/// The repository's root folder, found from this file's path.
public let repositoryRoot: String = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

public func repositoryPath(_ relative: String) -> String { repositoryRoot + "/" + relative }

/// A fresh temporary folder.
public func makeTemporaryDirectory(_ label: String = "scollect-test") throws -> String {
    let path = NSTemporaryDirectory() + "\(label)-\(UUID().uuidString.prefix(8))"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

public struct GzipReadError: Error, CustomStringConvertible {
    public let description: String
}

/// Reads a whole gzip file back through zlib, as an operator's `zcat` would.
public func readGzipFile(_ path: String) throws -> String {
    guard let file = gzopen(path, "rb") else { throw GzipReadError(description: "\(path): cannot open") }
    defer { gzclose(file) }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let count = gzread(file, &buffer, UInt32(buffer.count))
        if count < 0 { throw GzipReadError(description: "\(path): gzip read error") }
        if count == 0 { break }
        bytes.append(contentsOf: buffer[0..<Int(count)])
    }
    return String(decoding: bytes, as: UTF8.self)
}

/// A journal key for tests (random, per call).
public func testJournalKey() throws -> JournalKey {
    var generator = SystemRandomNumberGenerator()
    return try JournalKey(bytes: (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) })
}

/// File mode bits (e.g. 0o600).
public func fileMode(_ path: String) -> Int {
    var info = stat()
    stat(path, &info)
    return Int(info.st_mode & 0o777)
}

/// The seed whose accounts hold data as production's do (`Scripts/make_live_seed.py`): the
/// sample's file numbers with values in the document's styles, and the R5xxx case accounts.
public let liveSeed = "SampleData/sandbox-accounts-live.json"

/// A sandbox on a free port with a fresh database seeded with the sample accounts (`seed`:
/// another seed file of the repository, such as `liveSeed`).
public func startSampleSandbox(rateLimit: Int? = nil, tokenTTL: Double? = nil, dropAfterCommit: Double = 0,
                               faultSeed: UInt64 = 0, serverErrorShare: Double = 0, dropShare: Double = 0,
                               seed: String = "SampleData/sandbox-accounts.json") throws -> (SandboxServer, String) {
    let folder = try makeTemporaryDirectory("sandbox")
    var configuration = SandboxConfiguration(databasePath: folder + "/sandbox.sqlite", port: 0,
                                             seedFiles: [repositoryPath(seed)])
    configuration.rateLimit = rateLimit
    configuration.dropAfterCommit = dropAfterCommit
    configuration.faultSeed = faultSeed
    configuration.serverErrorShare = serverErrorShare
    configuration.dropShare = dropShare
    if let tokenTTL { configuration.tokenTTL = tokenTTL }
    return (try SandboxServer.start(configuration), folder)
}

/// Bytes in memory, handed out at most `step` at a time (1: a chunk boundary inside every
/// character and token).
public final class MemoryByteSource: ByteSource {
    let bytes: [UInt8]
    let step: Int
    var position = 0

    public init(_ bytes: [UInt8], step: Int = .max) {
        self.bytes = bytes
        self.step = step
    }

    public convenience init(_ text: String, step: Int = .max) { self.init(Array(text.utf8), step: step) }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = min(buffer.count, bytes.count - position, step)
        guard n > 0 else { return 0 }
        bytes.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress! + position, byteCount: n) }
        position += n
        return n
    }
}

/// The lines of a rejects report (plain or gz CSV), each as column name → value.
public func readCSVRecords(_ path: String) throws -> [[String: String]] {
    let reader = try CSVReader(path: path, delimiter: UInt8(ascii: ","))
    var records: [[String: String]] = []
    while let result = try reader.next() {
        guard case let .record(record) = result else { continue }
        var fields: [String: String] = [:]
        for (index, name) in reader.header.enumerated() where index < record.count { fields[name] = record.value(at: index) }
        records.append(fields)
    }
    return records
}

/// A small synchronous HTTP+JSON helper for reading back what a run wrote.
public final class TestAPI {
    let http = CurlHTTPClient()
    let baseURL: String
    public internal(set) var token = ""

    public init(baseURL: String, apikey: String = SandboxConfiguration.defaultAPIKey, pin: String = SandboxConfiguration.defaultPIN,
                login: Bool = true) throws {
        self.baseURL = baseURL
        guard login else { return }
        let login = try post("/login", ["apikey": apikey, "pin": pin], authenticated: false)
        token = login["result"]?["access_token"]?.stringValue ?? ""
    }

    public func get(_ path: String) throws -> JSONValue {
        let response = try http.perform(HTTPRequest(method: "GET", url: baseURL + path, headers: [("Authorization", "Bearer \(token)")]))
        return JSONValue.parse(response.body) ?? .null
    }

    public func post(_ path: String, _ body: [String: String], authenticated: Bool = true, method: String = "POST") throws -> JSONValue {
        let data = try JSONSerialization.data(withJSONObject: body)
        var headers = [("Content-Type", "application/json")]
        if authenticated { headers.append(("Authorization", "Bearer \(token)")) }
        let response = try http.perform(HTTPRequest(method: method, url: baseURL + path, headers: headers, body: Array(data)))
        return JSONValue.parse(response.body) ?? .null
    }

    /// The account's dbase record, or nil when the API does not know it.
    public func account(_ filenumber: String) throws -> [String: String] {
        let json = try get("/getaccount/\(filenumber)")
        guard let record = json["result"]?.arrayValue?.first?.objectValue else { return [:] }
        var fields: [String: String] = [:]
        for (key, value) in record { if let text = value.stringValue { fields[key] = text } }
        return fields
    }

    /// The account's payments counted by date and amount (whatever spelling the server uses).
    public func paymentCounts(_ filenumber: String) throws -> [PaymentKey: Int] {
        let json = try get("/getpayments/\(filenumber)")
        var counts: [PaymentKey: Int] = [:]
        for item in json["result"]?.arrayValue ?? [] {
            if let date = item["paymentdate"]?.stringValue, let amount = item["paymentamount"]?.stringValue,
               let key = PaymentKey(serverDate: date, serverAmount: amount) { counts[key, default: 0] += 1 }
        }
        return counts
    }

    public func phones(_ filenumber: String) throws -> [String] {
        let json = try get("/getphones/\(filenumber)")
        return (json["result"]?.arrayValue ?? []).compactMap { $0["phonenumber"]?.stringValue }
    }

    /// Changes the sandbox's faults (`PUT /_sandbox/config`), e.g. `["http_500": 0]`.
    public func configure(_ faults: [String: Any]) throws {
        let data = try JSONSerialization.data(withJSONObject: faults)
        _ = try http.perform(HTTPRequest(method: "PUT", url: baseURL + "/_sandbox/config", headers: [("Content-Type", "application/json")], body: Array(data)))
    }

    /// Zeroes the sandbox's statistics (`POST /_sandbox/stats/reset`).
    public func resetStats() throws {
        _ = try http.perform(HTTPRequest(method: "POST", url: baseURL + "/_sandbox/stats/reset"))
    }

    /// The sandbox's admin statistics.
    public func stats() throws -> JSONValue {
        let response = try http.perform(HTTPRequest(method: "GET", url: baseURL + "/_sandbox/stats"))
        return JSONValue.parse(response.body) ?? .null
    }
}

/// The rows of a CSV file (gzipped when its name ends in `.gz`) as Python's csv module reads
/// them: an independent reader. Keys and values a short row lacks are left out.
public func pythonCSVRows(_ path: String) throws -> [[String: String]] {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", "-c", """
        import csv, gzip, json, sys
        path = sys.argv[1]
        f = gzip.open(path, 'rt', newline='') if path.endswith('.gz') else open(path, newline='')
        print(json.dumps([{k: v for k, v in r.items() if k is not None and v is not None} for r in csv.DictReader(f)]))
        """, path]
    let out = Pipe()
    process.standardOutput = out
    try process.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return try JSONSerialization.jsonObject(with: data) as! [[String: String]]
}
