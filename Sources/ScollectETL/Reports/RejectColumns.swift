/// The columns of an input file that hold card or bank data, by the pipeline's mapping
/// (`FieldSensitivity`), and how the rejects report masks them: in the values of a row that
/// was read, and in the raw text of a row that could not be split into fields.
public struct RejectColumns: Sendable {
    /// Header position → classification, for the columns the rejects report must mask.
    public let masked: [Int: FieldSensitivity]
    /// The number of columns of the header.
    public let headerCount: Int
    /// The CSV delimiter; nil for a reader whose raw text is not delimited (XML, JSON).
    public let delimiter: UInt8?

    /// Raw text is split loosely at most this many fields away from the header's count.
    static let maxFieldCountDrift = 3

    public init(masked: [Int: FieldSensitivity] = [:], headerCount: Int = 0, delimiter: UInt8? = UInt8(ascii: ",")) {
        self.masked = masked.filter { $0.value.rejectReportMask != nil }
        self.headerCount = headerCount
        self.delimiter = delimiter
    }

    /// From the pipeline's mapping; `inputPath` decides the reader as the run opens it.
    public init(config: PipelineConfig, mapper: RowMapper, header: [String], inputPath: String) {
        self.init(masked: FieldSensitivity.columns(of: config, mapper: mapper), headerCount: header.count,
                  delimiter: (try? config.source.readerOptions(for: inputPath))?.rawTextDelimiter)
    }

    /// A read row's values with card and bank columns masked, and card numbers anywhere else
    /// (a card number in a column the mapping does not read) masked too.
    func mask(values: [String]) -> [String] {
        var values = values
        for index in values.indices {
            if let mask = masked[index]?.rejectReportMask { values[index] = mask(values[index]) } else {
                values[index] = CardNumberScanner.mask(values[index])
            }
        }
        return values
    }

    public enum RawText: Equatable, Sendable {
        case text(String)
        /// Left out of the report, and why.
        case leftOut(String)
    }

    /// The raw text of an unparseable row with its card data masked: split loosely at the
    /// delimiter (quotes ignored: a stray quote must not hide a field), the card and bank
    /// columns masked — every position where the column may have landed when the row has
    /// fields too many or too few — then any card number left anywhere (`CardNumberScanner`).
    /// When the columns cannot be located (not delimited text, a field count far from the
    /// header's), the raw text is left out.
    public func mask(rawText: String) -> RawText {
        guard !masked.isEmpty else { return .text(CardNumberScanner.mask(rawText)) }
        let names = Set(masked.values.map(\.label)).sorted().joined(separator: ", ")
        let leftOut = RawText.leftOut("raw text left out: it may hold \(names) whose columns could not be located")
        guard let delimiter else { return leftOut }
        var lines: [String] = []
        for line in rawText.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            guard let maskedLine = mask(line: Array(line.utf8), delimiter: delimiter) else { return leftOut }
            lines.append(maskedLine)
        }
        return .text(CardNumberScanner.mask(lines.joined(separator: "\n")))
    }

    /// One physical line; nil when its field count is too far from the header's.
    func mask(line: [UInt8], delimiter: UInt8) -> String? {
        var line = line
        if line.last == 13 { line.removeLast() }
        if line.isEmpty { return "" }
        let fields = line.split(separator: delimiter, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
        let drift = fields.count - headerCount
        guard abs(drift) <= RejectColumns.maxFieldCountDrift else { return nil }
        var out = fields
        for (column, sensitivity) in masked {
            guard let mask = sensitivity.rejectReportMask else { continue }
            let positions = drift >= 0 ? column...(column + drift) : max(0, column + drift)...column
            for position in positions where position < fields.count { out[position] = mask(fields[position]) }
        }
        return out.joined(separator: String(decoding: [delimiter], as: UTF8.self))
    }
}

extension FieldSensitivity {
    /// For messages: what a column of this kind holds.
    var label: String {
        switch self {
        case .ordinary: return "data"
        case .secret: return "a CVV or secret"
        case .cardNumber: return "a card number"
        case .bankAccount: return "a bank account number"
        case .ssn: return "an SSN"
        }
    }
}
