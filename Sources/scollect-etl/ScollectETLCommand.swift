import ArgumentParser
import ScollectETL

/// The command tree; `EntryPoint` runs it and decides the exit code.
struct ScollectETLCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scollect-etl",
        abstract: "Load placement and payment files into the Scollect collection API, export portfolios back to files, with reports.",
        discussion: """
        A pipeline file (YAML) says what to read, how to map and clean it, which endpoints to \
        write and at what pace. A typical night:

          scollect-etl validate Pipelines/nightly-placement.yml   # the file, the input's header
          scollect-etl plan Pipelines/nightly-placement.yml       # what a run would send
          scollect-etl run Pipelines/nightly-placement.yml        # progress, summary, reports
          scollect-etl runs                                       # past runs of this target
          scollect-etl rollback RUN                               # undo a run's dbase changes

        Try it on the embedded sandbox first: scollect-etl demo

        Environment: SCOLLECT_URL (the API's base URL; else the pipeline's target), \
        SCOLLECT_APIKEY and SCOLLECT_PIN, or SCOLLECT_CREDENTIALS_FILE (a mode-0600 file holding \
        them), SCOLLECT_JOURNAL (the run journal: a SQLite file, or a postgres:// URL shared by \
        several machines, its password in the mode-0600 file SCOLLECT_JOURNAL_PASSWORD_FILE), SCOLLECT_STATE_DIR (journals, the embedded \
        sandbox, locks; default $XDG_STATE_HOME/scollect-etl, else ~/.local/state/scollect-etl, \
        /var/lib/scollect-etl for /usr/bin/scollect-etl run as root).

        \(ExitCodeHelp.table)
        """,
        version: toolVersion,
        subcommands: [RunCommand.self, PlanCommand.self, DemoCommand.self, RunsCommand.self, RollbackCommand.self, SettleCommand.self, ValidateCommand.self, PreviewCommand.self, GuessCommand.self, SandboxCommand.self, BenchCommand.self, DocsCommand.self]
    )
}
