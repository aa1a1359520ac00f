import ArgumentParser
import Foundation
import ScollectSandbox

extension SandboxCommand {
    /// `scollect-etl sandbox seed --accounts N [--db PATH] [--portfolio NAME]`
    struct Seed: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "seed",
            abstract: "Add N generated accounts (with phones and payments) to one portfolio of the sandbox database.",
            discussion: "For tests and benchmarks. The database is created (with the document examples) when missing. Stop a running sandbox on the same file first, or run it after."
        )

        @Option(help: "Number of accounts to generate.")
        var accounts: Int

        @Option(name: .customLong("db"), help: "SQLite database file (default: sandbox.sqlite in the state directory).")
        var databaseOption: String?
        var database: String { databaseOption ?? SandboxCommand.defaultDatabase }

        @Option(help: "Portfolio the accounts are placed in (created when missing).")
        var portfolio: String = "SANDBOX GENERATED"

        @Option(help: "File-number prefix (numbers continue after the ones already there).")
        var prefix: String = "G"

        @Option(help: "Seed of the generated values: same seed, same accounts.")
        var seed: UInt64 = 1

        func validate() throws {
            guard accounts >= 0 else { throw ValidationError("--accounts must not be negative") }
            guard !portfolio.trimmingCharacters(in: .whitespaces).isEmpty else { throw ValidationError("--portfolio must not be blank") }
            guard !prefix.isEmpty, prefix.allSatisfy({ $0.isLetter }) else { throw ValidationError("--prefix must be letters") }
        }

        func run() throws {
            let started = Date()
            try SandboxCommand.prepareFolder(of: database)
            let outcome = try SandboxGenerator.seed(databasePath: database, accounts: accounts, portfolio: portfolio, prefix: prefix, seed: seed)
            let range = outcome.firstFilenumber.map { " (\($0)…\(outcome.lastFilenumber ?? $0))" } ?? ""
            SandboxCommand.say("Seeded \(database): \(outcome.accounts) accounts\(range), \(outcome.phones) phones, \(outcome.payments) payments in portfolio \"\(outcome.portfolio)\" in \(String(format: "%.1f", Date().timeIntervalSince(started))) s.")
        }
    }
}
