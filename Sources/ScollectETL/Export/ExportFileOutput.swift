import CZlib
import Foundation

/// The bytes of an export file, plain or gzip-compressed (zlib deflate with a gzip wrapper),
/// written through a 64 KiB buffer. Created with mode 0600: an export holds debtors' data.
/// Writers call `finish()`; `ExportRunner` writes to a `.partial` file and renames it only
/// when the export is complete.
public final class ExportFileOutput {
    public let path: String
    public let gzip: Bool
    private let fd: Int32
    /// nil for a plain file.
    private let deflater: Deflater?
    private var pending: [UInt8] = []
    private var finished = false
    /// Uncompressed bytes written so far.
    public private(set) var offset: UInt64 = 0

    public init(path: String, gzip: Bool) throws {
        self.path = path
        self.gzip = gzip
        let fd = try createPrivateFile(path)
        self.fd = fd
        do {
            deflater = gzip ? try Deflater(.gzip, path: path) : nil
        } catch {
            close(fd)
            throw error
        }
        pending.reserveCapacity(64 * 1024)
    }

    deinit {
        if !finished { close(fd) }
    }

    public func write(_ text: String) throws {
        var text = text
        text.withUTF8 { pending.append(contentsOf: $0) }
        offset += UInt64(text.utf8.count)
        if pending.count >= 64 * 1024 { try drain(final: false) }
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        pending.append(contentsOf: bytes)
        offset += UInt64(bytes.count)
        if pending.count >= 64 * 1024 { try drain(final: false) }
    }

    public func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    public func finish() throws {
        guard !finished else { return }
        finished = true
        defer { close(fd) }
        try drain(final: true)
        deflater?.end()
        guard fsync(fd) == 0 || errno == EINVAL else { throw ReportError.writeFailed(path: path, reason: String(cString: strerror(errno))) }
    }

    private func drain(final: Bool) throws {
        if let deflater {
            try deflater.deflate(&pending, flush: final ? Z_FINISH : Z_NO_FLUSH) { try writeAll($0, to: fd, path: path) }
        } else {
            try pending.withUnsafeBytes { try writeAll($0, to: fd, path: path) }
            pending.removeAll(keepingCapacity: true)
        }
    }
}
