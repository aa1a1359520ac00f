import CZlib
@testable import ScollectETL

/// A zip archive built in memory for the zip and XLSX tests: classic or zip64 records, stored or
/// deflated entries, and the place of every size, offset and count field, so tests can set one
/// to a hostile value.
struct ZipImage {
    var bytes: [UInt8]
    /// Every numeric field of the container: its offset and width in bytes.
    var fields: [(offset: Int, width: Int)] = []
    /// The offset of each entry's central directory record, by entry name.
    var central: [String: Int] = [:]

    static func build(_ entries: [(String, [UInt8])], zip64: Bool = false, deflate: Bool = false) -> ZipImage {
        var image = ZipImage(bytes: [])
        var directory: [(name: String, crc: UInt32, compressed: Int, size: Int, offset: Int, method: UInt16)] = []
        for (name, data) in entries {
            let stored = deflate ? rawDeflate(data) : data
            let crc = UInt32(data.withUnsafeBufferPointer { crc32(0, $0.baseAddress, UInt32($0.count)) })
            let method: UInt16 = deflate ? 8 : 0
            let offset = image.bytes.count
            image.u32(0x0403_4B50)
            image.u16(zip64 ? 45 : 20); image.u16(0); image.u16(method); image.u16(0); image.u16(0x5821)
            image.u32(crc, field: true)
            image.u32(zip64 ? 0xFFFF_FFFF : UInt32(stored.count), field: true)
            image.u32(zip64 ? 0xFFFF_FFFF : UInt32(data.count), field: true)
            image.u16(UInt16(name.utf8.count), field: true)
            image.u16(zip64 ? 20 : 0, field: true)
            image.bytes += Array(name.utf8)
            if zip64 {
                image.u16(1); image.u16(16, field: true)
                image.u64(UInt64(data.count), field: true); image.u64(UInt64(stored.count), field: true)
            }
            image.bytes += stored
            directory.append((name, crc, stored.count, data.count, offset, method))
        }
        let directoryOffset = image.bytes.count
        for entry in directory {
            image.central[entry.name] = image.bytes.count
            image.u32(0x0201_4B50)
            image.u16(zip64 ? 45 : 20); image.u16(zip64 ? 45 : 20); image.u16(0, field: true); image.u16(entry.method, field: true)
            image.u16(0); image.u16(0x5821)
            image.u32(entry.crc, field: true)
            image.u32(zip64 ? 0xFFFF_FFFF : UInt32(entry.compressed), field: true)
            image.u32(zip64 ? 0xFFFF_FFFF : UInt32(entry.size), field: true)
            image.u16(UInt16(entry.name.utf8.count), field: true)
            image.u16(zip64 ? 28 : 0, field: true)
            image.u16(0, field: true); image.u16(0, field: true); image.u16(0); image.u32(0)
            image.u32(zip64 ? 0xFFFF_FFFF : UInt32(entry.offset), field: true)
            image.bytes += Array(entry.name.utf8)
            if zip64 {
                image.u16(1); image.u16(24, field: true)
                image.u64(UInt64(entry.size), field: true); image.u64(UInt64(entry.compressed), field: true)
                image.u64(UInt64(entry.offset), field: true)
            }
        }
        let directorySize = image.bytes.count - directoryOffset
        if zip64 {
            let recordOffset = image.bytes.count
            image.u32(0x0606_4B50); image.u64(44, field: true); image.u16(45); image.u16(45)
            image.u32(0, field: true); image.u32(0, field: true)
            image.u64(UInt64(directory.count), field: true); image.u64(UInt64(directory.count), field: true)
            image.u64(UInt64(directorySize), field: true); image.u64(UInt64(directoryOffset), field: true)
            image.u32(0x0706_4B50); image.u32(0, field: true); image.u64(UInt64(recordOffset), field: true); image.u32(1, field: true)
        }
        image.u32(0x0605_4B50); image.u16(0, field: true); image.u16(0, field: true)
        image.u16(zip64 ? 0xFFFF : UInt16(directory.count), field: true); image.u16(zip64 ? 0xFFFF : UInt16(directory.count), field: true)
        image.u32(zip64 ? 0xFFFF_FFFF : UInt32(directorySize), field: true)
        image.u32(zip64 ? 0xFFFF_FFFF : UInt32(directoryOffset), field: true)
        image.u16(0, field: true)
        return image
    }

    /// Sets the little-endian field at `offset` (`width` bytes) to `value`, truncated.
    mutating func set(_ offset: Int, width: Int, to value: UInt64) {
        for k in 0..<width { bytes[offset + k] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(k))) }
    }

    private mutating func u16(_ value: UInt16, field: Bool = false) {
        if field { fields.append((bytes.count, 2)) }
        bytes += [UInt8(value & 0xFF), UInt8(value >> 8)]
    }

    private mutating func u32(_ value: UInt32, field: Bool = false) {
        if field { fields.append((bytes.count, 4)) }
        for k in 0..<4 { bytes.append(UInt8(truncatingIfNeeded: value >> (8 * UInt32(k)))) }
    }

    private mutating func u64(_ value: UInt64, field: Bool = false) {
        if field { fields.append((bytes.count, 8)) }
        for k in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: value >> (8 * UInt64(k)))) }
    }

    static func rawDeflate(_ data: [UInt8]) -> [UInt8] {
        var stream = z_stream()
        deflateInit2_(&stream, 6, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        defer { deflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, UInt(data.count))) + 16)
        var input = data
        let produced = input.withUnsafeMutableBufferPointer { source in
            output.withUnsafeMutableBufferPointer { target in
                stream.next_in = source.baseAddress
                stream.avail_in = UInt32(source.count)
                stream.next_out = target.baseAddress
                stream.avail_out = UInt32(target.count)
                _ = CZlib.deflate(&stream, Z_FINISH)
                return target.count - Int(stream.avail_out)
            }
        }
        return Array(output.prefix(produced))
    }
}

/// The whole inflated content of one entry.
func readEntry(_ archive: ZipArchive, _ entry: ZipArchive.Entry) throws -> [UInt8] {
    let stream = try archive.stream(entry, limits: ZipLimits())
    var result: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 64 * 1024)
    while true {
        let n = try chunk.withUnsafeMutableBytes { try stream.read(into: $0) }
        if n == 0 { return result }
        result += chunk.prefix(n)
    }
}
