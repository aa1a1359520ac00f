import Crypto
import Foundation

/// The key that encrypts sensitive values in the run journal (`JournalCipher`): 32 bytes in a
/// file named by `SCOLLECT_JOURNAL_KEY_FILE`, as 64 hex digits, base64, or raw bytes. The file
/// must be readable by its owner only (mode 0600 or stricter), like the credentials file.
///
/// Make one with `head -c 32 /dev/urandom | base64 > journal.key && chmod 600 journal.key`,
/// and keep it apart from the journal's backups: whoever has both reads the SSNs.
public struct JournalKey: Sendable {
    public static let environmentVariable = "SCOLLECT_JOURNAL_KEY_FILE"
    private let bytes: [UInt8]
    var key: SymmetricKey { SymmetricKey(data: bytes) }

    public init(bytes: [UInt8]) throws {
        guard bytes.count == 32 else { throw JournalError("the journal key must be 32 bytes (256 bits), found \(bytes.count)") }
        self.bytes = bytes
    }

    /// The key named by `SCOLLECT_JOURNAL_KEY_FILE`, or nil when the variable is not set.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> JournalKey? {
        guard let path = environment[environmentVariable], !path.isEmpty else { return nil }
        return try load(path: path)
    }

    public static func load(path: String) throws -> JournalKey {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw JournalError("\(environmentVariable)=\(path): cannot read the journal key: \(String(cString: strerror(errno)))")
        }
        guard info.st_mode & 0o077 == 0 else {
            throw JournalError("\(environmentVariable)=\(path): the journal key file is readable by others (mode \(String(info.st_mode & 0o777, radix: 8))); chmod 600 it")
        }
        guard info.st_uid == getuid() else {
            throw JournalError("\(environmentVariable)=\(path): the journal key file belongs to another user")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw JournalError("\(environmentVariable)=\(path): cannot read the journal key")
        }
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if text.count == 64, let bytes = hexBytes(text) { return try JournalKey(bytes: bytes) }
        if let decoded = Data(base64Encoded: text), decoded.count == 32 { return try JournalKey(bytes: Array(decoded)) }
        do {
            return try JournalKey(bytes: Array(data))
        } catch {
            throw JournalError("\(environmentVariable)=\(path): the journal key must be 32 bytes, as 64 hex digits, base64 or raw")
        }
    }

    static func hexBytes(_ text: String) -> [UInt8]? {
        var bytes: [UInt8] = []
        var iterator = text.utf8.makeIterator()
        while let high = iterator.next(), let low = iterator.next() {
            guard let h = hexValue(high), let l = hexValue(low) else { return nil }
            bytes.append(h << 4 | l)
        }
        return bytes
    }

    static func hexValue(_ byte: UInt8) -> UInt8? { HexDigits.value(byte) }
}
