import Foundation

/// A pipeline file, checked and resolved. Sections mirror the code folders: `source` →
/// Readers, `mapping`/`normalize` → Transforms, `writers` → Writers, `target` → Client,
/// `reports` → Reports.
public struct PipelineConfig {
    /// The input and how to read it: the `source:` section. Each reader parses its own keys
    /// (`ReaderComponent.options`); the section is kept so that an input of another kind
    /// (`--input rejects.csv.gz` on a pipeline whose reader comes from `.xlsx`) is read with
    /// the keys of its own reader.
    public struct Source {
        /// Absolute path of the input file.
        public var path: String
        /// `source.reader` as written: it always wins over the file's extension. Nil: each
        /// input's extension decides, else CSV.
        public var explicitReader: String?
        /// The `source:` keys beyond `file` and `reader`.
        public var options: ConfigSection
        /// The columns the mapping reads, as paths inside a record for XML and JSON (the
        /// readers report these as their header).
        public var columns: [String] = []
        /// The readers to choose from (`ReaderRegistry.all` unless a catalog says otherwise).
        public var readers: [ReaderEntry] = ReaderRegistry.all

        public init(path: String, reader: String?, options: ConfigSection = .empty("source")) {
            self.path = path
            self.explicitReader = reader
            self.options = options
        }

        /// `source:` keys given as words (the command line, tests).
        public init(path: String, reader: String?, words: [(String, String)]) {
            self.init(path: path, reader: reader, options: .words(words, file: "command line", path: "source"))
        }

        /// The reader of `path`: the one named, else the one its extension calls for, else CSV.
        public func reader(for path: String) -> ReaderEntry {
            if let explicitReader, let entry = readers.first(where: { $0.name == explicitReader }) { return entry }
            return ReaderRegistry.entry(forPath: path, in: readers) ?? readers.first { $0.name == "csv" } ?? readers[0]
        }

        /// The reader's name for `path` (the source file's unless given).
        public var reader: String { reader(for: path).name }

        /// The options of the reader of `path`, parsed from its keys of the section.
        public func readerOptions(for path: String? = nil) throws -> any ReaderOptions {
            try reader(for: path ?? self.path).options(options)
        }

        /// Opens `path` (the source file unless given) with its reader, reading ahead on a second thread.
        public func open(_ path: String? = nil) throws -> any RecordReader {
            let path = path ?? self.path
            if let explicitReader, !readers.contains(where: { $0.name == explicitReader }) {
                throw ReaderError.cannotOpen(path: path, reason: "no reader named \"\(explicitReader)\"")
            }
            let entry = reader(for: path)
            return PrefetchingReader(wrapping: try entry.open(path: path, options: try entry.options(options), columns: columns))
        }
    }

    public enum TextEncoding: String, Sendable, CaseIterable {
        case utf8 = "utf-8"
        case utf16 = "utf-16"
        case windows1252 = "windows-1252"
    }

    public struct FieldMapping: Sendable {
        public let field: String
        public let column: String
        /// Other names the column goes by in some creditors' files (`ssn: [SSN, Social Security #]`):
        /// the first name the header has is used.
        public var aliases: [String] = []
        /// Where the mapping was written, for errors found later against the file's header.
        public let line: Int?

        public init(field: String, column: String, aliases: [String] = [], line: Int?) {
            self.field = field
            self.column = column
            self.aliases = aliases
            self.line = line
        }

        public var candidates: [String] { [column] + aliases }
    }

    public enum OnError: String, Sendable, CaseIterable {
        /// The whole row goes to the rejects (the default).
        case reject
        /// Only this field is dropped; the row goes on with a warning line in the rejects report.
        case dropField = "drop_field"
    }

    public struct FieldNormalization: Sendable {
        public let normalizer: any Normalizer
        public let onError: OnError
    }

    public struct Target {
        /// `sandbox` (the embedded sandbox) or a base URL. `SCOLLECT_URL` overrides it.
        public var url: String
        public var requestsPerSecond: Double
        /// `tenant_requests_per_second`: the pace shared by every process of the tenant (through
        /// its journal); nil: `requestsPerSecond`.
        public var tenantRequestsPerSecond: Double?
        public var maxInFlight: Int
        public var batchSize: Int
        public var timeoutSeconds: Double
        /// Account files the embedded sandbox is seeded with when its database is new.
        public var sandboxSeedFiles: [String]
        /// `target.retry`: attempts and backoff (exponential, full jitter) for calls safe to retry.
        public var retry = RetryPolicy()
        public var isSandbox: Bool { url == "sandbox" }

        /// The embedded sandbox at a modest pace: for commands that need a target but no
        /// pipeline (`rollback` without `--pipeline`).
        public static func embeddedSandbox(requestsPerSecond: Double = 20) -> Target {
            Target(url: "sandbox", requestsPerSecond: requestsPerSecond, maxInFlight: 4, batchSize: 500, timeoutSeconds: 30, sandboxSeedFiles: [])
        }
    }

    /// `protect:` — account and phone statuses a load must leave alone. Compared upper-cased,
    /// with runs of spaces, `-` and `_` read as one space (`Do-Not-Call` = `DO NOT CALL`).
    public struct Protection: Sendable {
        public var accountStatuses: Set<String> = []
        public var phoneStatuses: Set<String> = []
        public init(accountStatuses: Set<String> = [], phoneStatuses: Set<String> = []) {
            self.accountStatuses = Set(accountStatuses.map(Protection.canonical))
            self.phoneStatuses = Set(phoneStatuses.map(Protection.canonical))
        }
        public func protectsPhone(status: String?) -> Bool {
            guard let status else { return false }
            return phoneStatuses.contains(Protection.canonical(status))
        }
        public func protectsAccount(status: String?) -> Bool {
            guard let status else { return false }
            return accountStatuses.contains(Protection.canonical(status))
        }
        public static func canonical(_ status: String) -> String {
            status.uppercased().split(whereSeparator: { $0 == " " || $0 == "-" || $0 == "_" }).joined(separator: " ")
        }
    }

    /// `acknowledgement:` — the file sent back to the creditor: one line per input row with
    /// accepted / rejected, the reason, and what changed.
    public struct Acknowledgement: Sendable {
        public enum Format: String, Sendable, CaseIterable { case csv, xlsx }
        public var format: Format = .csv
        /// Absolute folder; nil: the run's report folder.
        public var folder: String?
    }

    /// `operations:` — running the nightly job unattended.
    public struct Operations: Sendable {
        /// A file loaded before (same pipeline, same SHA-256, finished with exit 0 or 1) is
        /// refused unless the run is forced.
        public var refuseReloadedInput = true
        /// Where a loaded input file is moved (exit 0 or 1); nil: left in place.
        public var archiveFolder: String?
        /// Where a held or aborted input file is moved (exit 4 or 5); nil: left in place.
        public var errorFolder: String?
    }

    /// The pipeline file itself.
    public var file: String
    public var name: String
    public var source: Source
    public var mapping: [FieldMapping]
    /// Every mapped field has one (fields not listed under `normalize` are trimmed text).
    public var normalizations: [String: FieldNormalization]
    /// A cell holding exactly this clears the field in Scollect; a blank cell never does.
    public var clearMarker: String?
    /// `options.no_news_values`: cells meaning "nothing" (`NULL`, `N/A`, sentinel dates…) are
    /// no news, like a blank cell: they never overwrite a field.
    public var noNewsValues = NoNewsValues(NoNewsValues.defaults)
    /// `options.max_rejects`: more rejected rows than this aborts the run (exit 5).
    public var maxRejects: Int?
    /// `options.max_reject_ratio`: from the 1,000th row on, a larger share of rejected rows
    /// aborts the run (exit 5): a file that is mostly garbage is stopped before it is loaded.
    public var maxRejectRatio: Double?
    public var writers: [any APIWriter]
    public var protection = Protection()
    public var checks = FileChecks()
    /// `options.read_from_portfolios`: read the accounts of these portfolios with one
    /// `get_accounts_in_portfolio` call each, instead of getaccount + getphones per account.
    public var readFromPortfolios: [String] = []
    public var acknowledgement: Acknowledgement?
    public var operations = Operations()
    public var target: Target
    /// Absolute path of the reports folder; each run writes into a sub-folder of its own.
    public var reportsFolder: String
    /// `on_failure:` — the command told of a failed run (alerting).
    public var onFailure: FailureCommand? = nil
    /// `journal.retention_days`: change records (previous values, for rollback) older than
    /// this are purged when a run opens the journal; ledger entries and runs are kept.
    public var journalRetentionDays = 400
}
