/// One key of a pipeline section, reader, normaliser or writer: what the loader checks and
/// what the reference (`scollect-etl docs`, `validate --explain`) documents. Declared next to
/// the code that reads the option.
public struct OptionSpec: Sendable {
    public enum ValueType: Sendable, Equatable {
        case string
        case integer(ClosedRange<Int>? = nil)
        case number(minimum: Double? = nil)
        case boolean
        /// One of these words.
        case oneOf([String])
        /// A list of values (one value reads as a one-item list).
        case list
        /// A section of `key: value` lines.
        case section
        /// A list of sections.
        case sections
        /// Any YAML value; the component reads it. The text says what it takes
        /// (`"a value or { field: column }"`).
        case value(String)
    }

    public let name: String
    public let type: ValueType
    /// The value used when the key is absent, as written in a pipeline file (nil: none).
    public let defaultValue: String?
    public let required: Bool
    /// One line for the reference.
    public let help: String
    /// A value as it would be written after `name:`.
    public let example: String

    public init(_ name: String, _ type: ValueType, default defaultValue: String? = nil, required: Bool = false,
                help: String, example: String) {
        self.name = name
        self.type = type
        self.defaultValue = defaultValue
        self.required = required
        self.help = help
        self.example = example
    }

    /// The words the option takes, when it is a choice.
    public var allowedValues: [String] {
        switch type {
        case let .oneOf(values): return values
        case .boolean: return ["true", "false"]
        default: return []
        }
    }

    /// The type as the reference names it.
    public var typeName: String {
        switch type {
        case .string: return "text"
        case let .integer(range):
            guard let range else { return "whole number" }
            return range.upperBound == Int.max ? "whole number ≥ \(range.lowerBound)" : "whole number \(range.lowerBound)–\(range.upperBound)"
        case let .number(minimum): return minimum.map { "number ≥ \(OptionSpec.format($0))" } ?? "number"
        case .boolean: return "true or false"
        case .oneOf: return "one of"
        case .list: return "list"
        case .section: return "section"
        case .sections: return "list of sections"
        case let .value(text): return text
        }
    }

    static func format(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }

    /// Checks the value's shape and type; the component reads it afterwards.
    func check(_ node: ConfigNode) throws {
        switch type {
        case .string: _ = try node.string()
        case let .integer(range): _ = try node.int(in: range)
        case let .number(minimum): _ = try node.double(minimum: minimum)
        case .boolean: _ = try node.bool()
        case let .oneOf(values): _ = try node.oneOf(values)
        case .list: _ = try node.stringList()
        case .section: _ = try node.pairs()
        case .sections: _ = try node.list()
        case .value: break
        }
    }
}

/// A pipeline section, reader, normaliser or writer as the reference documents it: its name,
/// one line saying what it does, its options and an example.
public struct ComponentSpec: Sendable {
    public enum Kind: String, Sendable, CaseIterable {
        case section, reader, normalizer = "normaliser", writer
    }

    public let kind: Kind
    public let name: String
    /// One line.
    public let summary: String
    public let options: [OptionSpec]
    /// YAML, as written in a pipeline file.
    public let example: String
    /// More lines for the reference (the keys of a section whose keys are names of your own,
    /// a reader's file extensions).
    public var notes: [String] = []

    public init(_ kind: Kind, _ name: String, summary: String, options: [OptionSpec] = [], example: String, notes: [String] = []) {
        self.kind = kind
        self.name = name
        self.summary = summary
        self.options = options
        self.example = example
        self.notes = notes
    }

    public var keys: [String] { options.map(\.name) }

    public func option(_ name: String) -> OptionSpec? { options.first { $0.name == name } }

    /// Checks a section against the spec: unknown keys (with a "did you mean"; collected while
    /// `validate` runs), the type of every key given, the keys required (unless `requiring` is
    /// false: a parent file may give them). `shared`: keys the section takes besides the spec's
    /// (`type` and `on_error` beside a normaliser's). `owners`: the other components a key may
    /// belong to ("applies to the xlsx reader, not to csv").
    public func validate(_ node: ConfigNode, shared: [OptionSpec] = [], owners: [ComponentSpec] = [], requiring: Bool = true) throws -> ConfigSection {
        let all = shared + options
        let allowed = all.map(\.name)
        var ownedElsewhere: [String] = []
        if !owners.isEmpty, case .mapping = node.node {
            for entry in try node.pairs() where !allowed.contains(entry.key) {
                let elsewhere = owners.filter { $0.keys.contains(entry.key) }.map(\.name)
                guard !elsewhere.isEmpty else { continue }
                ownedElsewhere.append(entry.key)
                try ConfigProblems.report(entry.keyNode.error("\(entry.keyNode.path) applies to the \(elsewhere.joined(separator: ", ")) \(kind.rawValue), not to \(name)"))
            }
        }
        let section = try node.section(allowedKeys: allowed, alreadyReported: ownedElsewhere)
        for option in all {
            if let value = section[option.name] {
                try option.check(value)
            } else if option.required && requiring {
                _ = try section.required(option.name)
            }
        }
        return section
    }
}
