import ArgumentParser

@main
struct ScollectETLCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scollect-etl",
        abstract: "Load placement and payment files into the Scollect collection API, export portfolios back to files, with reports.",
        subcommands: [RunCommand.self, PlanCommand.self, DemoCommand.self, RunsCommand.self, RollbackCommand.self, ValidateCommand.self, PreviewCommand.self, GuessCommand.self, SandboxCommand.self, BenchCommand.self]
    )
}
