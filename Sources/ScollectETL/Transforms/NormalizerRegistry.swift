/// Every normaliser a pipeline can name under `normalize:`. A new one is one file plus one line here.
public enum NormalizerRegistry {
    /// Pipeline-wide settings some normalisers read.
    public struct Settings {
        public var dayFirst = false
        public var excelDateSystem: ExcelDateSystem = .system1900
        public init() {}
    }

    public static let names = [SSNNormalizer.name, PhoneNormalizer.name, DateNormalizer.name, MoneyNormalizer.name,
                               TextNormalizer.name, UpperNormalizer.name]

    public static func make(_ name: String, settings: Settings) -> (any Normalizer)? {
        switch name {
        case SSNNormalizer.name: return SSNNormalizer()
        case PhoneNormalizer.name: return PhoneNormalizer()
        case DateNormalizer.name: return DateNormalizer(dayFirst: settings.dayFirst, excelDateSystem: settings.excelDateSystem)
        case MoneyNormalizer.name: return MoneyNormalizer()
        case TextNormalizer.name: return TextNormalizer()
        case UpperNormalizer.name: return UpperNormalizer()
        default: return nil
        }
    }
}
