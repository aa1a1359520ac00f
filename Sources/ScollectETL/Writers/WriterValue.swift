/// A value a writer sends, as the pipeline file gives it: a literal, the same for every row
/// (`type: MANUAL`), or a mapped field, per row (`dispo: { field: attempt_result }`).
public enum WriterValue: Sendable, Equatable {
    case literal(String)
    case field(String)

    /// How the reference names the type of such an option.
    public static let typeName = "text, or { field: column }"

    /// Reads `key: TEXT` or `key: { field: NAME }`; the field must be in the mapping.
    static func read(_ node: ConfigNode, writer: String, context: WriterContext) throws -> WriterValue {
        if case .scalar = node.node { return .literal(try node.string()) }
        let section = try node.section(allowedKeys: ["field"])
        let fieldNode = try section.required("field")
        let field = try fieldNode.string()
        guard context.mappedFields.contains(field) else {
            throw fieldNode.error("\(writer): \"\(field)\" is not in the mapping; map it to a source column first")
        }
        return .field(field)
    }

    static func read(_ options: ConfigSection, _ key: String, writer: String, context: WriterContext) throws -> WriterValue? {
        try options[key].map { try read($0, writer: writer, context: context) }
    }

    /// The row's value, trimmed; nil for a blank cell or a clear marker (no news).
    func value(in row: NormalizedRow) -> String? {
        switch self {
        case let .literal(text): return text
        case let .field(field):
            guard case let .value(text)? = row[field] else { return nil }
            let trimmed = text.trimmingSpaces()
            return trimmed.isEmpty ? nil : trimmed
        }
    }

    var field: String? {
        if case let .field(name) = self { return name }
        return nil
    }
}

extension Optional where Wrapped == WriterValue {
    func value(in row: NormalizedRow) -> String? { self?.value(in: row) }
}

/// Value checks the account maintenance writers share.
enum ValueFormats {
    /// `###-###-####`, as the API documents phone numbers.
    static func isPhone(_ value: String) -> Bool {
        value.wholeMatch(of: #/[0-9]{3}-[0-9]{3}-[0-9]{4}/#) != nil
    }

    /// A real calendar day written yyyy-mm-dd.
    static func isDay(_ value: String) -> Bool {
        PaymentFields.checkDate(value, field: "") == nil
    }

    /// `dd1c6e63-7680-4d06-34f6-44d293694bba`: 8-4-4-4-12 hex digits (the document's UUIDs do
    /// not all carry a version nibble, so none is required).
    static func isUUID(_ value: String) -> Bool {
        value.wholeMatch(of: #/[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}/#) != nil
    }
}
