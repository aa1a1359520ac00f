import ScollectETL

enum ExitCodeHelp {
    static var table: String {
        "Exit codes (run, plan, demo; validate exits 0 or 2, preview and guess 0, 2 or 4):\n"
            + ScollectETL.ExitCode.allCases.map { "  \($0.rawValue)  \($0.meaning)" }.joined(separator: "\n")
    }
}
