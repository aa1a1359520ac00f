import CZlib
import Foundation

/// Writes a zip archive front to back, never seeking: each entry's local header carries flag
/// bit 3 and its CRC-32 and sizes follow the data in a data descriptor; the central directory
/// is written at the end. Entries are raw-deflated with zlib as they are written, so an entry
/// of any size streams through a fixed buffer. (No ZIP64: entries and archive under 4 GiB.)
public final class ZipStreamWriter {
    struct Entry {
        let name: [UInt8]
        let offset: UInt32
        var crc: UInt32 = 0
        var compressed: UInt32 = 0
        var uncompressed: UInt32 = 0
    }

    private let output: ExportFileOutput
    private var entries: [Entry] = []
    private var deflater: Deflater?
    private var open = false
    private var crc: uLong = 0
    private var uncompressed: UInt64 = 0
    private var compressed: UInt64 = 0
    private var pending: [UInt8] = []
    /// DOS time and date of every entry (the export's start).
    private let dosTime: UInt16
    private let dosDate: UInt16

    public init(output: ExportFileOutput, date: Date = Date()) {
        self.output = output
        var seconds = time_t(date.timeIntervalSince1970)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        dosTime = UInt16(parts.tm_hour << 11 | parts.tm_min << 5 | parts.tm_sec / 2)
        dosDate = UInt16(max(0, Int(parts.tm_year) - 80) << 9 | Int(parts.tm_mon + 1) << 5 | Int(parts.tm_mday))
        pending.reserveCapacity(64 * 1024)
    }

    public func beginEntry(_ name: String) throws {
        precondition(!open, "the previous entry is still open")
        guard output.offset < UInt64(UInt32.max) else { throw ReportError.writeFailed(path: output.path, reason: "the workbook passes 4 GiB (no ZIP64)") }
        let nameBytes = Array(name.utf8)
        entries.append(Entry(name: nameBytes, offset: UInt32(output.offset)))
        var header: [UInt8] = []
        header.le32(0x0403_4b50)
        header.le16(20) // version needed: 2.0 (deflate)
        header.le16(0x0008 | 0x0800) // data descriptor follows; UTF-8 names
        header.le16(8) // deflate
        header.le16(dosTime)
        header.le16(dosDate)
        header.le32(0); header.le32(0); header.le32(0) // CRC and sizes: in the data descriptor
        header.le16(UInt16(nameBytes.count))
        header.le16(0)
        header += nameBytes
        try output.write(header)
        deflater = try Deflater(.raw, path: output.path)
        open = true
        crc = crc32(0, nil, 0)
        uncompressed = 0
        compressed = 0
    }

    public func write(_ text: String) throws {
        var text = text
        text.withUTF8 { pending.append(contentsOf: $0) }
        if pending.count >= 64 * 1024 { try deflatePending(finish: false) }
    }

    public func endEntry() throws {
        try deflatePending(finish: true)
        deflater?.end()
        deflater = nil
        open = false
        guard uncompressed < UInt64(UInt32.max), compressed < UInt64(UInt32.max) else {
            throw ReportError.writeFailed(path: output.path, reason: "a workbook part passes 4 GiB (no ZIP64)")
        }
        entries[entries.count - 1].crc = UInt32(crc)
        entries[entries.count - 1].compressed = UInt32(compressed)
        entries[entries.count - 1].uncompressed = UInt32(uncompressed)
        var descriptor: [UInt8] = []
        descriptor.le32(0x0807_4b50)
        descriptor.le32(UInt32(crc))
        descriptor.le32(UInt32(compressed))
        descriptor.le32(UInt32(uncompressed))
        try output.write(descriptor)
    }

    /// A whole small entry at once.
    public func addEntry(_ name: String, _ text: String) throws {
        try beginEntry(name)
        try write(text)
        try endEntry()
    }

    /// Writes the central directory and closes the output.
    public func finish() throws {
        precondition(!open, "an entry is still open")
        let directoryOffset = output.offset
        var directory: [UInt8] = []
        for entry in entries {
            directory.le32(0x0201_4b50)
            directory.le16(0x031E) // made by: Unix, spec 3.0
            directory.le16(20)
            directory.le16(0x0008 | 0x0800)
            directory.le16(8)
            directory.le16(dosTime)
            directory.le16(dosDate)
            directory.le32(entry.crc)
            directory.le32(entry.compressed)
            directory.le32(entry.uncompressed)
            directory.le16(UInt16(entry.name.count))
            directory.le16(0); directory.le16(0); directory.le16(0); directory.le16(0)
            directory.le32(0o100644 << 16) // external attributes: a regular file, rw-r--r--
            directory.le32(entry.offset)
            directory += entry.name
        }
        guard directoryOffset + UInt64(directory.count) < UInt64(UInt32.max) else {
            throw ReportError.writeFailed(path: output.path, reason: "the workbook passes 4 GiB (no ZIP64)")
        }
        var end: [UInt8] = []
        end.le32(0x0605_4b50)
        end.le16(0); end.le16(0)
        end.le16(UInt16(entries.count)); end.le16(UInt16(entries.count))
        end.le32(UInt32(directory.count))
        end.le32(UInt32(directoryOffset))
        end.le16(0)
        try output.write(directory)
        try output.write(end)
        try output.finish()
    }

    private func deflatePending(finish: Bool) throws {
        crc = pending.withUnsafeBufferPointer { crc32(crc, $0.baseAddress, uInt($0.count)) }
        uncompressed += UInt64(pending.count)
        try deflater!.deflate(&pending, flush: finish ? Z_FINISH : Z_NO_FLUSH) { block in
            compressed += UInt64(block.count)
            try output.write(block)
        }
    }
}

extension [UInt8] {
    mutating func le16(_ value: UInt16) {
        append(UInt8(value & 0xFF)); append(UInt8(value >> 8))
    }

    mutating func le32(_ value: UInt32) {
        for shift in stride(from: 0, to: 32, by: 8) { append(UInt8((value >> UInt32(shift)) & 0xFF)) }
    }
}
