import Yams

/// A YAML node that remembers where it came from, so every error can name file, line and
/// column. Mapping sections are read with `section(allowedKeys:)`, which refuses unknown keys
/// up front: a typo must stop the run, not be silently ignored.
public struct ConfigNode {
    public let node: Node
    public let file: String
    /// Dotted path from the root, e.g. `target.requests_per_second`.
    public let path: String

    public init(node: Node, file: String, path: String) {
        self.node = node
        self.file = file
        self.path = path
    }

    public var line: Int? { node.mark?.line }
    public var column: Int? { node.mark?.column }

    public func error(_ message: String) -> PipelineError {
        PipelineError(file: file, line: line, column: column, message)
    }

    // MARK: scalars

    public var isNull: Bool {
        if case let .scalar(scalar) = node { return scalar.style == .plain && ["", "~", "null", "Null", "NULL"].contains(scalar.string) }
        return false
    }

    public func string() throws -> String {
        guard case let .scalar(scalar) = node else { throw error("\(path) must be a single value, not a list or a section") }
        return scalar.string
    }

    public func int(in range: ClosedRange<Int>? = nil) throws -> Int {
        let text = try string()
        guard let value = Int(text) else { throw error("\(path) must be a whole number, found \"\(text)\"") }
        if let range, !range.contains(value) { throw error("\(path) must be between \(range.lowerBound) and \(range.upperBound), found \(value)") }
        return value
    }

    public func double(minimum: Double? = nil) throws -> Double {
        let text = try string()
        guard let value = Double(text), value.isFinite else { throw error("\(path) must be a number, found \"\(text)\"") }
        if let minimum, value < minimum { throw error("\(path) must be at least \(minimum), found \(text)") }
        return value
    }

    public func bool() throws -> Bool {
        switch try string().lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: throw error("\(path) must be true or false")
        }
    }

    public func oneOf(_ choices: [String]) throws -> String {
        let text = try string()
        guard choices.contains(text) else {
            let hint = closestMatch(to: text, in: choices).map { " (did you mean \"\($0)\"?)" } ?? ""
            throw error("\(path) must be one of \(choices.joined(separator: ", ")), found \"\(text)\"\(hint)")
        }
        return text
    }

    // MARK: lists

    public func list() throws -> [ConfigNode] {
        guard case let .sequence(sequence) = node else { throw error("\(path) must be a list (lines starting with \"- \")") }
        return sequence.enumerated().map { ConfigNode(node: $1, file: file, path: "\(path)[\($0)]") }
    }

    /// A list of plain values; a single value is accepted as a one-item list.
    public func stringList() throws -> [String] {
        if case .scalar = node { return [try string()] }
        return try list().map { try $0.string() }
    }

    // MARK: mappings

    /// The key/value pairs of a mapping, in file order, refusing duplicate keys.
    public func pairs() throws -> [(key: String, keyNode: ConfigNode, value: ConfigNode)] {
        guard case let .mapping(mapping) = node else { throw error("\(path) must be a section of \"key: value\" lines") }
        var seen: [String: Int] = [:]
        var result: [(key: String, keyNode: ConfigNode, value: ConfigNode)] = []
        for (keyNode, valueNode) in mapping {
            guard case let .scalar(keyScalar) = keyNode else {
                throw ConfigNode(node: keyNode, file: file, path: path).error("\(path): keys must be plain names")
            }
            let key = keyScalar.string
            let keyConfig = ConfigNode(node: keyNode, file: file, path: path.isEmpty ? key : "\(path).\(key)")
            if let firstLine = seen[key] {
                throw keyConfig.error("\"\(key)\" appears twice in \(path.isEmpty ? "the file" : path) (first on line \(firstLine))")
            }
            seen[key] = keyNode.mark?.line ?? 0
            result.append((key, keyConfig, ConfigNode(node: valueNode, file: file, path: keyConfig.path)))
        }
        return result
    }

    /// A mapping whose keys must all be in `allowedKeys`. While a `ConfigProblems` collector is
    /// active (`validate`), an unknown key is recorded and skipped so that checking goes on.
    /// `alreadyReported`: keys whose problem was reported otherwise (they are skipped all the same).
    public func section(allowedKeys: [String], alreadyReported: [String] = []) throws -> ConfigSection {
        var entries = try pairs()
        for entry in entries where !allowedKeys.contains(entry.key) && !alreadyReported.contains(entry.key) {
            let hint = closestMatch(to: entry.key, in: allowedKeys).map { " — did you mean \"\($0)\"?" } ?? ""
            try ConfigProblems.report(entry.keyNode.error("unknown key \"\(entry.key)\" in \(path.isEmpty ? "the top level" : path)\(hint) (allowed: \(allowedKeys.joined(separator: ", ")))"))
        }
        entries.removeAll { !allowedKeys.contains($0.key) }
        return ConfigSection(node: self, entries: entries)
    }
}

/// Collects the problems of a pipeline file instead of stopping at the first, for `validate`.
/// Only problems after which reading can go on (an unknown key, a normaliser on a field that
/// is not mapped) are collected; the others still throw.
public enum ConfigProblems {
    nonisolated(unsafe) private static var collected: [PipelineError]?

    /// Runs `body` collecting problems; returns them with what `body` returned, or with the
    /// error that stopped it.
    public static func collecting<T>(_ body: () throws -> T) -> (T?, [PipelineError]) {
        collected = []
        defer { collected = nil }
        do {
            let value = try body()
            return (value, collected ?? [])
        } catch let error as PipelineError {
            return (nil, (collected ?? []) + [error])
        } catch {
            return (nil, (collected ?? []) + [PipelineError(file: "", "\(error)")])
        }
    }

    /// Throws the problem, or records it while collecting.
    static func report(_ problem: PipelineError) throws {
        if collected != nil { collected!.append(problem) } else { throw problem }
    }

    /// A section of the file: its first problem thrown, or, while collecting, recorded and
    /// `fallback` returned, so that the sections after it are checked in the same pass.
    static func section<T>(_ fallback: @autoclosure () -> T, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let problem as PipelineError where collected != nil {
            collected!.append(problem)
            return fallback()
        }
    }
}

/// A checked mapping: look values up by key, with required/optional accessors.
public struct ConfigSection {
    public let node: ConfigNode
    let entries: [(key: String, keyNode: ConfigNode, value: ConfigNode)]

    init(node: ConfigNode, entries: [(key: String, keyNode: ConfigNode, value: ConfigNode)]) {
        self.node = node
        self.entries = entries
    }

    /// A section written nowhere (`what` names it in errors): no keys given.
    public static func empty(_ what: String) -> ConfigSection {
        ConfigSection(node: ConfigNode(node: .mapping(.init([])), file: what, path: what), entries: [])
    }

    /// A section from `key=value` words (the command line's `--reader-option`), as plain YAML scalars.
    public static func words(_ values: [(String, String)], file: String, path: String) -> ConfigSection {
        let node = ConfigNode(node: .mapping(.init(values.map { (Node.scalar(.init($0.0)), Node.scalar(.init($0.1))) })), file: file, path: path)
        return ConfigSection(node: node, entries: values.map { key, value in
            (key, ConfigNode(node: .scalar(.init(key)), file: file, path: "\(path).\(key)"),
             ConfigNode(node: .scalar(.init(value)), file: file, path: "\(path).\(key)"))
        })
    }

    /// Only the keys listed (those of one component, from a section shared with others).
    public func only(_ keys: [String]) -> ConfigSection {
        ConfigSection(node: node, entries: entries.filter { keys.contains($0.key) })
    }

    /// This section's keys, then `fallback`'s keys it does not give (a field's normaliser options
    /// over the pipeline's `options:`).
    func over(_ fallback: ConfigSection?, keys: [String]) -> ConfigSection {
        guard let fallback else { return self }
        let inherited = fallback.entries.filter { entry in keys.contains(entry.key) && !entries.contains { $0.key == entry.key } }
        return ConfigSection(node: node, entries: entries + inherited)
    }

    public subscript(key: String) -> ConfigNode? {
        entries.first { $0.key == key }.map(\.value).flatMap { $0.isNull ? nil : $0 }
    }

    public func required(_ key: String) throws -> ConfigNode {
        guard let value = self[key] else { throw node.error("\(node.path.isEmpty ? "the pipeline" : node.path) needs \"\(key)\"") }
        return value
    }

    public var keys: [String] { entries.map(\.key) }
}
