/// The tool's version, in audit headers and summaries; the command line adds its git revision.
public enum ScollectETLVersion {
    public static let current = "0.2.0"

    /// `0.2.0 (git abc1234)`, or `0.2.0 (no git revision)` for a build outside a checkout.
    public static func described(revision: String?) -> String {
        "\(current) (\(revision.map { "git " + $0 } ?? "no git revision"))"
    }
}
