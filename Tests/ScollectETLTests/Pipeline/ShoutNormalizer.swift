import ScollectETL

/// A normaliser a test target adds in one file (and one registration line): upper-cases and
/// appends `marks` exclamation marks.
struct ShoutNormalizer: NormalizerComponent {
    static let spec = ComponentSpec(.normalizer, "shout",
        summary: "Upper-cased, with exclamation marks.",
        options: [OptionSpec("marks", .integer(0...5), default: "1", help: "How many exclamation marks.", example: "3")],
        example: "normalize:\n  lastname: { type: shout, marks: 3 }")

    let marks: Int

    static func make(_ options: ConfigSection) throws -> ShoutNormalizer {
        ShoutNormalizer(marks: try options["marks"]?.int() ?? 1)
    }

    func normalize(_ raw: String) -> Normalized {
        let text = raw.trimmingCharacters(in: .whitespaces)
        return text.isEmpty ? .blank : .value(text.uppercased() + String(repeating: "!", count: marks))
    }
}
