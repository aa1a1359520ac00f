import ScollectETL

/// The exit-code table of `--help`, from `ScollectETL.ExitCode` (the README's table is checked
/// against it by `ExitCodeTests`).
enum ExitCodeHelp {
    static var table: String {
        "Exit codes (every command; validate exits 0 or 2, preview and guess 0, 2 or 4; --rejects-exit-zero turns 1 into 0):\n"
            + ScollectETL.ExitCode.allCases.map { "  \($0.rawValue)  \($0.meaning)" }.joined(separator: "\n")
    }
}
