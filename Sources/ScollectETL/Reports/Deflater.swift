import CZlib
import Foundation

/// zlib's deflate over one `z_stream`, handing each block of compressed output to a sink:
/// the gzip reports, gzip exports and the raw-deflated entries of an XLSX export all go
/// through it.
final class Deflater {
    enum Framing {
        /// A gzip member (windowBits 15 + 16).
        case gzip
        /// Raw deflate, as zip entries want it (windowBits -15).
        case raw
    }

    /// The file being written, for errors.
    let path: String
    private var stream = z_stream()
    private var output = [UInt8](repeating: 0, count: 64 * 1024)
    private var ended = false

    init(_ framing: Framing, level: Int32 = 6, path: String) throws {
        self.path = path
        let windowBits: Int32 = framing == .gzip ? 15 + 16 : -15
        let status = deflateInit2_(&stream, level, Z_DEFLATED, windowBits, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else { throw ReportError.cannotCreate(path: path, reason: "zlib deflateInit2 failed (\(status))") }
    }

    deinit { end() }

    /// Compresses `input` with `flush` (`Z_NO_FLUSH`, `Z_SYNC_FLUSH`, `Z_FINISH`) and empties it.
    func deflate(_ input: inout [UInt8], flush: Int32, into sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        try input.withUnsafeMutableBufferPointer { bytes in
            stream.next_in = bytes.baseAddress
            stream.avail_in = uInt(bytes.count)
            repeat {
                let produced: Int = try output.withUnsafeMutableBufferPointer { out in
                    stream.next_out = out.baseAddress
                    stream.avail_out = uInt(out.count)
                    guard CZlib.deflate(&stream, flush) != Z_STREAM_ERROR else { throw ReportError.writeFailed(path: path, reason: "zlib deflate error") }
                    return out.count - Int(stream.avail_out)
                }
                try output.withUnsafeBytes { try sink(UnsafeRawBufferPointer(rebasing: $0[0..<produced])) }
            } while stream.avail_out == 0
        }
        input.removeAll(keepingCapacity: true)
    }

    func end() {
        guard !ended else { return }
        ended = true
        deflateEnd(&stream)
    }
}

/// Writes all of `bytes` to `fd`, going on after an interrupted write.
func writeAll(_ bytes: UnsafeRawBufferPointer, to fd: Int32, path: String) throws {
    guard let base = bytes.baseAddress else { return }
    var done = 0
    while done < bytes.count {
        let n = Foundation.write(fd, base + done, bytes.count - done)
        if n < 0 {
            if errno == EINTR { continue }
            throw ReportError.writeFailed(path: path, reason: String(cString: strerror(errno)))
        }
        done += n
    }
}

/// Creates (or empties) a file readable by its owner only, from the first byte: reports and
/// exports hold debtors' data and must never be world-readable, even briefly.
/// `exclusive`: the file must not exist yet (a temporary file).
func createPrivateFile(_ path: String, exclusive: Bool = false) throws -> Int32 {
    let fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | (exclusive ? O_EXCL : O_TRUNC), 0o600)
    guard fd >= 0 else { throw ReportError.cannotCreate(path: path, reason: String(cString: strerror(errno))) }
    // An existing file keeps its old mode through O_TRUNC: set it explicitly.
    fchmod(fd, 0o600)
    return fd
}
