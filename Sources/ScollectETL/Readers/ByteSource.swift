import CZlib
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A forward-only stream of bytes (a plain file, or the decompressed content of a gzip file).
/// No seeking: readers that need to look back keep the bytes themselves.
public protocol ByteSource: AnyObject {
    /// Fills up to `buffer.count` bytes and returns how many were written; 0 means end of input.
    /// Throws `ReaderError.ioError` for read failures and damaged compressed data.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
}

/// Reads a file with POSIX `open`/`read` (no Foundation in the hot path).
public final class FileByteSource: ByteSource {
    public let path: String
    private let fd: Int32

    public init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw ReaderError.cannotOpen(path: path, reason: posixErrorText(errno))
        }
        var info = stat()
        if fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR {
            close(fd)
            throw ReaderError.cannotOpen(path: path, reason: "is a directory")
        }
        #if os(Linux)
        _ = posix_fadvise(fd, 0, 0, Int32(POSIX_FADV_SEQUENTIAL))
        #endif
        self.fd = fd
    }

    deinit { close(fd) }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
        while true {
            let n = posixRead(fd, base, buffer.count)
            if n >= 0 { return n }
            let code = errno
            if code == EINTR { continue }
            throw ReaderError.ioError(path: path, reason: posixErrorText(code))
        }
    }

    /// The first `count` bytes of the file without moving the read position (fewer for a short
    /// file; empty when the file cannot be read that way, e.g. a pipe).
    func peek(count: Int) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        let n = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress, count, 0) }
        return n > 0 ? Array(bytes[0..<n]) : []
    }
}

/// Reads the decompressed content of a gzip file through zlib's `gzopen`/`gzread`
/// (concatenated gzip members are read as one stream).
/// A truncated or corrupt file is a thrown `ReaderError.ioError` naming the file.
public final class GzipByteSource: ByteSource {
    public let path: String
    private var file: gzFile?

    public init(path: String) throws {
        self.path = path
        errno = 0
        guard let file = gzopen(path, "rb") else {
            let code = errno
            throw ReaderError.cannotOpen(path: path, reason: code != 0 ? posixErrorText(code) : "zlib gzopen failed")
        }
        // zlib's default 8 KiB input buffer costs a lot of read() calls on big files.
        _ = gzbuffer(file, 256 * 1024)
        self.file = file
    }

    deinit {
        if let file { _ = gzclose(file) }
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard let file, let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
        let want = UInt32(min(buffer.count, 1 << 30))
        let n = gzread(file, base, want)
        if n > 0 { return Int(n) }
        // 0 is either a clean end or the end of a truncated stream (zlib reports Z_BUF_ERROR,
        // "unexpected end of file"); -1 is damaged data or a system error.
        var code: Int32 = Z_OK
        let message = gzerror(file, &code).map { String(cString: $0) } ?? ""
        if n == 0 && code == Z_OK { return 0 }
        let reason: String
        switch code {
        case Z_BUF_ERROR:
            reason = "gzip file is truncated (\(message.isEmpty ? "unexpected end of file" : message))"
        case Z_ERRNO:
            reason = posixErrorText(errno)
        case Z_DATA_ERROR:
            reason = "gzip file is corrupt (\(message))"
        case Z_MEM_ERROR:
            reason = "out of memory while decompressing"
        default:
            reason = "gzip read failed (\(message.isEmpty ? "zlib error \(code)" : message))"
        }
        throw ReaderError.ioError(path: path, reason: reason)
    }
}

/// Opens `path` for reading: a `GzipByteSource` when the file starts with the gzip magic
/// bytes 1f 8b (whatever its name), otherwise a `FileByteSource`.
public func openByteSource(path: String) throws -> ByteSource {
    let plain = try FileByteSource(path: path)
    let magic = plain.peek(count: 2)
    if magic.count == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
        return try GzipByteSource(path: path)
    }
    return plain
}

@inline(__always)
private func posixRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int {
    #if canImport(Glibc)
    return Glibc.read(fd, buffer, count)
    #elseif canImport(Musl)
    return Musl.read(fd, buffer, count)
    #else
    return Darwin.read(fd, buffer, count)
    #endif
}

private func posixErrorText(_ code: Int32) -> String {
    guard let text = strerror(code) else { return "error \(code)" }
    return String(cString: text)
}
