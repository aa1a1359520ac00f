/// What a Scollect file number may look like: a letter or digit, then up to 31 letters, digits,
/// `-` or `_` (`^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$`). A file number goes into call paths
/// (`/getaccount/<filenumber>`): `.` or `..` would be collapsed by the URL into another
/// endpoint, so anything else is refused before any call (`INVALID_FILENUMBER`).
public enum FileNumberRule {
    public static let maximumLength = 32
    public static let description = "a letter or digit, then letters, digits, - or _, at most \(maximumLength) characters"

    public static func isValid(_ filenumber: String) -> Bool {
        let bytes = Array(filenumber.utf8)
        guard let first = bytes.first, bytes.count <= maximumLength, isAlphanumeric(first) else { return false }
        return bytes.dropFirst().allSatisfy { isAlphanumeric($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") }
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
    }
}
