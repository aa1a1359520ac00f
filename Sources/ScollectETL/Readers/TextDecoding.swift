/// Text files arrive as UTF-8 (with or without BOM), UTF-16 with a BOM, or Windows-1252 from
/// older creditor systems. Readers work on UTF-8, so other encodings are transcoded on the fly,
/// chunk by chunk, in constant memory.
public enum TextDecoding {
    /// How much of a file decides between UTF-8 and Windows-1252 when the pipeline does not say.
    public static let detectionWindow = 64 * 1024

    /// The file's bytes as UTF-8, and a notice when the encoding was guessed rather than
    /// declared or marked (a person should know that `MUÃ‘OZ` was avoided by a guess).
    public static func openUTF8(path: String, declared: PipelineConfig.TextEncoding?) throws -> (ByteSource, notice: String?) {
        let source = ReplayingByteSource(try openByteSource(path: path))
        let prefix = try source.prefix(count: detectionWindow)
        let hasUTF16BOM = prefix.count >= 2 && ((prefix[0] == 0xFF && prefix[1] == 0xFE) || (prefix[0] == 0xFE && prefix[1] == 0xFF))
        switch declared {
        case .utf16?:
            return (UTF16ToUTF8Source(source), nil)
        case .windows1252?:
            return (Windows1252ToUTF8Source(source), nil)
        case .utf8?:
            return (source, nil)
        case nil:
            if hasUTF16BOM { return (UTF16ToUTF8Source(source), nil) }
            if let offset = firstInvalidUTF8(prefix, allowCutAtEnd: prefix.count == detectionWindow) {
                return (Windows1252ToUTF8Source(source),
                        "\(path): not valid UTF-8 (byte offset \(offset)); read as Windows-1252. Set source.encoding to say so and silence this notice")
            }
            return (source, nil)
        }
    }

    /// Offset of the first byte that is not part of a valid UTF-8 sequence; a sequence cut by
    /// the end of a window is not an error when `allowCutAtEnd`.
    static func firstInvalidUTF8(_ bytes: [UInt8], allowCutAtEnd: Bool) -> Int? {
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            if b < 0x80 { i += 1; continue }
            let (length, minimumSecond, maximumSecond) = utf8SequenceShape(lead: b)
            if length == 0 { return i }
            if i + length > bytes.count {
                return allowCutAtEnd ? nil : i
            }
            if bytes[i + 1] < minimumSecond || bytes[i + 1] > maximumSecond { return i }
            for k in 2..<length where bytes[i + k] & 0xC0 != 0x80 { return i }
            i += length
        }
        return nil
    }
}

/// Hands out a prefix it read ahead (for detection), then the rest of the stream.
final class ReplayingByteSource: ByteSource {
    private let base: ByteSource
    private var buffered: [UInt8] = []
    private var position = 0

    init(_ base: ByteSource) { self.base = base }

    /// Up to `count` first bytes (fewer at end of input), without consuming them.
    func prefix(count: Int) throws -> [UInt8] {
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while buffered.count < count {
            let n = try chunk.withUnsafeMutableBytes { try base.read(into: $0) }
            if n == 0 { break }
            buffered.append(contentsOf: chunk[0..<n])
        }
        return Array(buffered.prefix(count))
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if position < buffered.count {
            let n = min(buffer.count, buffered.count - position)
            buffered.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress! + position, byteCount: n) }
            position += n
            if position == buffered.count { buffered = []; position = 0 }
            return n
        }
        return try base.read(into: buffer)
    }
}

/// A transcoder from some byte encoding to UTF-8, fed from another source.
class TranscodingByteSource: ByteSource {
    private let base: ByteSource
    private var input = [UInt8](repeating: 0, count: 64 * 1024)
    /// Transcoded bytes not yet handed out.
    private var output: [UInt8] = []
    private var outputPosition = 0
    private var ended = false

    init(_ base: ByteSource) { self.base = base }

    /// Appends the UTF-8 of `bytes` to `output`; `atEnd` flushes a partial unit.
    func transcode(_ bytes: UnsafeBufferPointer<UInt8>, atEnd: Bool, into output: inout [UInt8]) {}

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while outputPosition >= output.count {
            if ended { return 0 }
            output.removeAll(keepingCapacity: true)
            outputPosition = 0
            let n = try input.withUnsafeMutableBytes { try base.read(into: $0) }
            if n == 0 { ended = true }
            input.withUnsafeBufferPointer { transcode(UnsafeBufferPointer(rebasing: $0[0..<n]), atEnd: n == 0, into: &output) }
        }
        let n = min(buffer.count, output.count - outputPosition)
        output.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress! + outputPosition, byteCount: n) }
        outputPosition += n
        return n
    }

    static func appendUTF8(_ scalar: UInt32, to output: inout [UInt8]) {
        switch scalar {
        case 0..<0x80: output.append(UInt8(scalar))
        case 0x80..<0x800:
            output.append(UInt8(0xC0 | (scalar >> 6)))
            output.append(UInt8(0x80 | (scalar & 0x3F)))
        case 0x800..<0x10000:
            output.append(UInt8(0xE0 | (scalar >> 12)))
            output.append(UInt8(0x80 | ((scalar >> 6) & 0x3F)))
            output.append(UInt8(0x80 | (scalar & 0x3F)))
        default:
            output.append(UInt8(0xF0 | (scalar >> 18)))
            output.append(UInt8(0x80 | ((scalar >> 12) & 0x3F)))
            output.append(UInt8(0x80 | ((scalar >> 6) & 0x3F)))
            output.append(UInt8(0x80 | (scalar & 0x3F)))
        }
    }
}

/// Windows-1252 → UTF-8. Bytes 0x80–0x9F are the code page's punctuation (`’`, `€`, `–`);
/// its five unassigned bytes map to the C1 controls, as browsers do (WHATWG).
final class Windows1252ToUTF8Source: TranscodingByteSource {
    static let high: [UInt32] = [
        0x20AC, 0x81, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x8D, 0x017D, 0x8F,
        0x90, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x9D, 0x017E, 0x0178,
    ]

    override func transcode(_ bytes: UnsafeBufferPointer<UInt8>, atEnd: Bool, into output: inout [UInt8]) {
        output.reserveCapacity(bytes.count + bytes.count / 8)
        for byte in bytes {
            if byte < 0x80 {
                output.append(byte)
            } else if byte < 0xA0 {
                TranscodingByteSource.appendUTF8(Windows1252ToUTF8Source.high[Int(byte) - 0x80], to: &output)
            } else {
                TranscodingByteSource.appendUTF8(UInt32(byte), to: &output)
            }
        }
    }
}

/// UTF-16 (the BOM says which byte order; none: little-endian, as Windows writes it) → UTF-8,
/// without the BOM. An unpaired surrogate becomes U+FFFD.
final class UTF16ToUTF8Source: TranscodingByteSource {
    private var bigEndian = false
    private var started = false
    private var carry: [UInt8] = []
    private var highSurrogate: UInt32?

    override func transcode(_ bytes: UnsafeBufferPointer<UInt8>, atEnd: Bool, into output: inout [UInt8]) {
        var data = carry
        data.append(contentsOf: bytes)
        carry = []
        var i = 0
        if !started && data.count >= 2 {
            started = true
            if data[0] == 0xFF && data[1] == 0xFE { i = 2 } else if data[0] == 0xFE && data[1] == 0xFF { bigEndian = true; i = 2 }
        }
        while i + 1 < data.count {
            let unit = bigEndian ? UInt32(data[i]) << 8 | UInt32(data[i + 1]) : UInt32(data[i + 1]) << 8 | UInt32(data[i])
            i += 2
            if let high = highSurrogate {
                highSurrogate = nil
                if (0xDC00...0xDFFF).contains(unit) {
                    TranscodingByteSource.appendUTF8(0x10000 + ((high - 0xD800) << 10) + (unit - 0xDC00), to: &output)
                    continue
                }
                TranscodingByteSource.appendUTF8(0xFFFD, to: &output)
            }
            switch unit {
            case 0xD800...0xDBFF: highSurrogate = unit
            case 0xDC00...0xDFFF: TranscodingByteSource.appendUTF8(0xFFFD, to: &output)
            default: TranscodingByteSource.appendUTF8(unit, to: &output)
            }
        }
        if i < data.count { carry = Array(data[i...]) }
        if atEnd && (highSurrogate != nil || !carry.isEmpty) {
            TranscodingByteSource.appendUTF8(0xFFFD, to: &output)
            highSurrogate = nil
            carry = []
        }
    }
}
