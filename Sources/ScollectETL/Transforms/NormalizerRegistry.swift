/// A normaliser a pipeline can name under `normalize:`: its spec (name, summary, options beyond
/// `type` and `on_error`) and how it is made from its options. Declared next to the normaliser;
/// registered with one line in `NormalizerRegistry.all`.
public protocol NormalizerComponent: Normalizer {
    static var spec: ComponentSpec { get }
    /// From the keys of its spec, given under the field or, for those the pipeline's `options:`
    /// also takes (`day_first`), there; already checked against the spec.
    static func make(_ options: ConfigSection) throws -> Self
}

extension NormalizerComponent {
    public static var name: String { spec.name }
}

/// Every normaliser a pipeline can name under `normalize:`. A new one is one file plus one line here.
public enum NormalizerRegistry {
    public static let all: [any NormalizerComponent.Type] = [
        SSNNormalizer.self,
        PhoneNormalizer.self,
        DateNormalizer.self,
        MoneyNormalizer.self,
        TextNormalizer.self,
        UpperNormalizer.self,
    ]

    public static var names: [String] { all.map { $0.spec.name } }

    public static func normalizer(named name: String) -> (any NormalizerComponent.Type)? { all.first { $0.spec.name == name } }

    /// The normaliser with no option given (how the server's values are read, a rollback's comparison).
    public static func make(_ name: String) -> (any Normalizer)? {
        try? normalizer(named: name)?.make(.empty("normalize"))
    }
}
