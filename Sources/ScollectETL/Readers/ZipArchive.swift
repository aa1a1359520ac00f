import CZlib
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Limits that refuse a zip bomb before it costs memory or time. Checked against the sizes an
/// entry declares when it is opened, and again against the bytes it really inflates to.
public struct ZipLimits: Sendable, Equatable {
    /// An entry may not inflate past this many bytes.
    public var maxEntryBytes: Int
    /// Once an entry has inflated past `ratioCheckAfterBytes`, its output may not pass
    /// `maxRatio` times the compressed bytes consumed so far.
    public var maxRatio: Int
    public var ratioCheckAfterBytes: Int

    public init(maxEntryBytes: Int = 1 << 30, maxRatio: Int = 200, ratioCheckAfterBytes: Int = 10 << 20) {
        self.maxEntryBytes = maxEntryBytes
        self.maxRatio = maxRatio
        self.ratioCheckAfterBytes = ratioCheckAfterBytes
    }
}

/// A zip archive read from its central directory (zip64 included), with entries inflated on
/// demand as streams. Only what XLSX needs: stored and deflate entries, no encryption, no
/// multi-disk archives. Every failure is a `ReaderError` naming the archive. Every size and
/// offset read from the file is untrusted: sums of them are checked (`zipSum`), never trapped.
final class ZipArchive {
    struct Entry {
        let name: String
        let flags: UInt16
        let method: UInt16
        let crc32: UInt32
        let compressedSize: Int
        let uncompressedSize: Int
        let localHeaderOffset: Int
    }

    let path: String
    let fileSize: Int
    /// Entries in central-directory order.
    private(set) var entries: [Entry] = []
    private var byName: [String: Int] = [:]
    private var byLowercasedName: [String: Int] = [:]
    fileprivate let fd: Int32

    /// The first bytes of an OLE2 compound file: an old .xls, or any encrypted Office file.
    static let ole2Signature: [UInt8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]
    /// Refuse central directories past this size (an XLSX's is a few KB).
    static let maxCentralDirectoryBytes = 64 << 20

    init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ReaderError.cannotOpen(path: path, reason: zipErrnoText(errno)) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let code = errno
            close(fd)
            throw ReaderError.cannotOpen(path: path, reason: zipErrnoText(code))
        }
        if (info.st_mode & S_IFMT) == S_IFDIR {
            close(fd)
            throw ReaderError.cannotOpen(path: path, reason: "is a directory")
        }
        self.fd = fd
        fileSize = Int(info.st_size)
        try readCentralDirectory()
    }

    deinit { close(fd) }

    func entry(named name: String) -> Entry? {
        if let index = byName[name] { return entries[index] }
        if let index = byLowercasedName[name.lowercased()] { return entries[index] }
        return nil
    }

    /// A stream of the entry's inflated bytes, checked against `limits`, its size and its CRC.
    func stream(_ entry: Entry, limits: ZipLimits) throws -> ZipEntryStream {
        try ZipEntryStream(archive: self, entry: entry, limits: limits)
    }

    func fail(_ reason: String) -> ReaderError { .cannotOpen(path: path, reason: reason) }

    /// `count` bytes at `offset`, or an error saying the file ends too soon.
    func read(at offset: Int, count: Int, what: String) throws -> [UInt8] {
        guard offset >= 0, count >= 0, let end = zipSum(offset, count), end <= fileSize else {
            throw fail("the zip archive is truncated: \(what) lies past the end of the file")
        }
        var bytes = [UInt8](repeating: 0, count: count)
        let got = try bytes.withUnsafeMutableBytes { try preadFully(into: $0, at: offset) }
        guard got == count else { throw fail("the zip archive is truncated: \(what) lies past the end of the file") }
        return bytes
    }

    /// Reads until `buffer` is full or the file ends; returns the bytes read.
    func preadFully(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws -> Int {
        var done = 0
        while done < buffer.count {
            guard let at = zipSum(offset, done), let position = off_t(exactly: at) else {
                throw fail("the zip archive is damaged: an offset lies past the end of the file")
            }
            let n = pread(fd, buffer.baseAddress! + done, buffer.count - done, position)
            if n > 0 { done += n; continue }
            if n == 0 { break }
            let code = errno
            if code == EINTR { continue }
            throw ReaderError.ioError(path: path, reason: zipErrnoText(code))
        }
        return done
    }

    // MARK: - Central directory

    private func readCentralDirectory() throws {
        let head = try read(at: 0, count: min(8, fileSize), what: "the header")
        if head == ZipArchive.ole2Signature {
            throw fail("an old .xls (BIFF) workbook or an encrypted workbook: save it as .xlsx without a password")
        }
        if fileSize == 0 { throw fail("the file is empty, not an XLSX workbook") }
        let startsLikeZip = head.count >= 4 && head[0] == 0x50 && head[1] == 0x4B && head[2] == 0x03 && head[3] == 0x04

        // The end-of-central-directory record: 22 bytes plus a comment of up to 65535 bytes.
        let tailCount = min(fileSize, 22 + 65535 + 20)
        let tailStart = fileSize - tailCount
        let tail = try read(at: tailStart, count: tailCount, what: "the end of the archive")
        var eocd = -1
        var k = tailCount - 22
        while k >= 0 {
            if tail[k] == 0x50 && tail[k + 1] == 0x4B && tail[k + 2] == 0x05 && tail[k + 3] == 0x06 {
                let commentLength = le16(tail, k + 20)
                if k + 22 + commentLength <= tailCount { eocd = k; break }
            }
            k -= 1
        }
        guard eocd >= 0 else {
            if startsLikeZip {
                throw fail("the zip archive is truncated or damaged: its central directory is missing")
            }
            throw fail("not an XLSX workbook: the file is not a zip archive")
        }
        var entryCount = le16(tail, eocd + 10)
        var directorySize = le32(tail, eocd + 12)
        var directoryOffset = le32(tail, eocd + 16)
        if le16(tail, eocd + 4) != 0 || le16(tail, eocd + 6) != 0 {
            throw fail("a multi-part (spanned) zip archive is not supported")
        }

        // Zip64: a locator 20 bytes before the classic record points at the zip64 record.
        if entryCount == 0xFFFF || directorySize == 0xFFFF_FFFF || directoryOffset == 0xFFFF_FFFF, eocd >= 20,
           le32(tail, eocd - 20) == 0x0706_4B50 {
            let recordOffset = le64(tail, eocd - 20 + 8)
            let record = try read(at: recordOffset, count: 56, what: "the zip64 end record")
            guard le32(record, 0) == 0x0606_4B50 else {
                throw fail("the zip archive is damaged: its zip64 end record is missing")
            }
            entryCount = le64(record, 32)
            directorySize = le64(record, 40)
            directoryOffset = le64(record, 48)
        }

        let eocdOffset = tailStart + eocd
        guard let directoryEnd = zipSum(directoryOffset, directorySize), directoryEnd <= eocdOffset,
              directorySize <= ZipArchive.maxCentralDirectoryBytes else {
            throw fail("the zip archive is truncated or damaged: its central directory lies outside the file")
        }
        let directory = try read(at: directoryOffset, count: directorySize, what: "the central directory")
        var p = 0
        entries.reserveCapacity(min(entryCount, 4096))
        // Each entry takes at least 46 bytes of the directory: a count past that is a lie.
        guard entryCount <= directorySize / 46 else {
            throw fail("the zip archive is damaged: its central directory holds fewer entries than it says (\(entryCount))")
        }
        for _ in 0..<entryCount {
            guard p + 46 <= directory.count, le32(directory, p) == 0x0201_4B50 else {
                throw fail("the zip archive is damaged: its central directory is cut short")
            }
            let flags = UInt16(le16(directory, p + 8))
            let method = UInt16(le16(directory, p + 10))
            let crc = UInt32(le32(directory, p + 16))
            var compressed = le32(directory, p + 20)
            var uncompressed = le32(directory, p + 24)
            let nameLength = le16(directory, p + 28)
            let extraLength = le16(directory, p + 30)
            let commentLength = le16(directory, p + 32)
            var localOffset = le32(directory, p + 42)
            let nameStart = p + 46
            let extraStart = nameStart + nameLength
            let next = extraStart + extraLength + commentLength
            guard next <= directory.count else {
                throw fail("the zip archive is damaged: its central directory is cut short")
            }
            let name = String(decoding: directory[nameStart..<extraStart], as: UTF8.self)
            // Zip64 extra field: the 64-bit values of the fields that read 0xFFFFFFFF, in order.
            var e = extraStart
            while e + 4 <= extraStart + extraLength {
                let id = le16(directory, e), size = le16(directory, e + 2)
                var q = e + 4
                let end = q + size
                if id == 0x0001 && end <= extraStart + extraLength {
                    if uncompressed == 0xFFFF_FFFF && q + 8 <= end { uncompressed = le64(directory, q); q += 8 }
                    if compressed == 0xFFFF_FFFF && q + 8 <= end { compressed = le64(directory, q); q += 8 }
                    if localOffset == 0xFFFF_FFFF && q + 8 <= end { localOffset = le64(directory, q); q += 8 }
                }
                e = end
            }
            if byName[name] == nil {
                byName[name] = entries.count
                byLowercasedName[name.lowercased()] = entries.count
            }
            entries.append(Entry(name: name, flags: flags, method: method, crc32: crc, compressedSize: compressed,
                                 uncompressedSize: uncompressed, localHeaderOffset: localOffset))
            p = next
        }
    }
}

/// The inflated bytes of one zip entry, read on demand in the caller's buffer (no copy of the
/// whole entry). Checks the bomb limits as it goes, and the size and CRC-32 at the end.
final class ZipEntryStream: ByteSource {
    let archive: ZipArchive
    let entry: ZipArchive.Entry
    let limits: ZipLimits

    private var stream = z_stream()
    private var inflating = false
    private let input: UnsafeMutableRawBufferPointer
    private var nextInputOffset: Int
    private var compressedLeft: Int
    private var consumed = 0
    private(set) var produced = 0
    private var crc: UInt = 0
    private var finished = false

    static let inputChunk = 128 * 1024

    init(archive: ZipArchive, entry: ZipArchive.Entry, limits: ZipLimits) throws {
        self.archive = archive
        self.entry = entry
        self.limits = limits
        let name = entry.name
        if entry.flags & 1 != 0 {
            throw archive.fail("\(name) is encrypted: save the workbook without a password")
        }
        guard entry.method == 0 || entry.method == 8 else {
            throw archive.fail("\(name) uses zip compression method \(entry.method); only stored and deflate are supported")
        }
        if entry.uncompressedSize > limits.maxEntryBytes {
            throw archive.fail("\(name) declares \(entry.uncompressedSize) bytes uncompressed, over the limit of \(limits.maxEntryBytes) bytes (a zip bomb?); refused")
        }
        if entry.uncompressedSize > limits.ratioCheckAfterBytes,
           entry.uncompressedSize / max(entry.compressedSize, 1) > limits.maxRatio {
            throw archive.fail("\(name) declares a compression ratio over \(limits.maxRatio):1 (\(entry.compressedSize) bytes inflating to \(entry.uncompressedSize)): a zip bomb; refused")
        }
        let header = try archive.read(at: entry.localHeaderOffset, count: 30, what: "the local header of \(name)")
        guard le32(header, 0) == 0x0403_4B50 else {
            throw archive.fail("the zip archive is damaged: the local header of \(name) is missing")
        }
        guard let dataStart = zipSum(entry.localHeaderOffset, 30 + le16(header, 26) + le16(header, 28)),
              let dataEnd = zipSum(dataStart, entry.compressedSize), dataEnd <= archive.fileSize else {
            throw archive.fail("the zip archive is truncated: the data of \(name) runs past the end of the file")
        }
        nextInputOffset = dataStart
        compressedLeft = entry.compressedSize
        input = .allocate(byteCount: ZipEntryStream.inputChunk, alignment: 16)
        if entry.method == 8 {
            let status = inflateInit2_(&stream, -MAX_WBITS, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
            guard status == Z_OK else {
                input.deallocate()
                throw archive.fail("zlib could not start inflating \(name) (error \(status))")
            }
            inflating = true
        }
    }

    deinit {
        if inflating { inflateEnd(&stream) }
        input.deallocate()
    }

    private func fail(_ reason: String) -> ReaderError { archive.fail(reason) }

    /// Fills up to `buffer.count` bytes; 0 at the end of the entry.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard !finished, let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
        var n = 0
        if entry.method == 0 {
            let want = min(buffer.count, compressedLeft)
            if want == 0 { try finish(); return 0 }
            n = try archive.preadFully(into: UnsafeMutableRawBufferPointer(start: base, count: want), at: nextInputOffset)
            guard n == want else { throw fail("the zip archive is truncated: the data of \(entry.name) is cut short") }
            nextInputOffset += n
            compressedLeft -= n
            consumed += n
        } else {
            let room = min(buffer.count, 1 << 30)
            stream.next_out = base.assumingMemoryBound(to: Bytef.self)
            stream.avail_out = UInt32(room)
            while true {
                if stream.avail_in == 0 && compressedLeft > 0 {
                    let want = min(ZipEntryStream.inputChunk, compressedLeft)
                    let got = try archive.preadFully(into: UnsafeMutableRawBufferPointer(start: input.baseAddress, count: want),
                                                     at: nextInputOffset)
                    guard got == want else { throw fail("the zip archive is truncated: the data of \(entry.name) is cut short") }
                    nextInputOffset += got
                    compressedLeft -= got
                    stream.next_in = input.baseAddress!.assumingMemoryBound(to: Bytef.self)
                    stream.avail_in = UInt32(got)
                }
                let before = stream.avail_in
                let status = inflate(&stream, Z_NO_FLUSH)
                consumed += Int(before - stream.avail_in)
                n = room - Int(stream.avail_out)
                if status == Z_STREAM_END {
                    produced += n
                    try check()
                    crc = crc32(crc, base.assumingMemoryBound(to: Bytef.self), UInt32(n))
                    try finish()
                    return n
                }
                switch status {
                case Z_OK, Z_BUF_ERROR:
                    if n > 0 { break }
                    if stream.avail_in == 0 && compressedLeft == 0 {
                        throw fail("the compressed data of \(entry.name) ends before its end mark: the archive is truncated or corrupt")
                    }
                    continue
                case Z_DATA_ERROR:
                    let message = stream.msg.map { String(cString: $0) } ?? "invalid data"
                    throw fail("the compressed data of \(entry.name) is corrupt (\(message))")
                case Z_MEM_ERROR:
                    throw fail("out of memory while inflating \(entry.name)")
                default:
                    throw fail("zlib error \(status) while inflating \(entry.name)")
                }
                break
            }
        }
        produced += n
        try check()
        crc = crc32(crc, base.assumingMemoryBound(to: Bytef.self), UInt32(n))
        return n
    }

    /// The bomb limits, against what has really been inflated.
    private func check() throws {
        if produced > limits.maxEntryBytes {
            throw fail("\(entry.name) inflates past the limit of \(limits.maxEntryBytes) bytes (a zip bomb?); refused")
        }
        if produced > limits.ratioCheckAfterBytes && produced / max(consumed, 1) > limits.maxRatio {
            throw fail("\(entry.name) inflates at a ratio over \(limits.maxRatio):1 (\(consumed) compressed bytes gave \(produced)): a zip bomb; refused")
        }
    }

    private func finish() throws {
        finished = true
        if produced != entry.uncompressedSize {
            throw fail("\(entry.name) inflates to \(produced) bytes but the archive says \(entry.uncompressedSize): the archive is corrupt")
        }
        if UInt32(truncatingIfNeeded: crc) != entry.crc32 {
            throw fail("CRC mismatch in \(entry.name): the archive is corrupt")
        }
    }
}

@inline(__always) private func le16(_ b: [UInt8], _ i: Int) -> Int { Int(b[i]) | Int(b[i + 1]) << 8 }
@inline(__always) private func le32(_ b: [UInt8], _ i: Int) -> Int { le16(b, i) | le16(b, i + 2) << 16 }
/// `a + b`, or nil when the sum overflows: sizes and offsets come from the file.
@inline(__always) func zipSum(_ a: Int, _ b: Int) -> Int? {
    let (sum, overflow) = a.addingReportingOverflow(b)
    return overflow ? nil : sum
}

@inline(__always) private func le64(_ b: [UInt8], _ i: Int) -> Int {
    let value = UInt64(le32(b, i)) | UInt64(le32(b, i + 4)) << 32
    return value > UInt64(Int.max) ? Int.max : Int(value)
}

private func zipErrnoText(_ code: Int32) -> String {
    guard let text = strerror(code) else { return "error \(code)" }
    return String(cString: text)
}
