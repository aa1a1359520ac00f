/// The readers, normalisers and writers a pipeline file can name: the registries' lists
/// (`ComponentCatalog.builtIn`), or those plus some of a test's or an extension's own.
public struct ComponentCatalog {
    public var readers: [ReaderEntry] = ReaderRegistry.all
    public var normalizers: [any NormalizerComponent.Type] = NormalizerRegistry.all
    public var writers: [any APIWriter.Type] = WriterRegistry.all

    public init() {}

    public static var builtIn: ComponentCatalog { ComponentCatalog() }

    public func reader(named name: String) -> ReaderEntry? { readers.first { $0.name == name } }
    public func normalizer(named name: String) -> (any NormalizerComponent.Type)? { normalizers.first { $0.spec.name == name } }
    public func writer(named name: String) -> (any APIWriter.Type)? { writers.first { $0.name == name } }

    /// Every section of a load pipeline, in the order the reference shows them.
    public var sections: [ComponentSpec] { PipelineSections.all(self) }
    public var components: [ComponentSpec] {
        readers.map(\.spec) + normalizers.map { $0.spec } + writers.map { $0.spec }
    }

    /// The specs `validate --explain NAME` shows: a section (`target`, `target.retry`), or a
    /// reader, normaliser or writer by name (a name both a section and a component: both).
    public func explain(_ name: String) -> [ComponentSpec] {
        (sections + components + ExportSections.all).filter { $0.name == name }
    }

    public var explainableNames: [String] { (sections + components + ExportSections.all).map(\.name) }
}

/// The sections of a load pipeline file: their keys, types, defaults and examples. The loader
/// checks each section against its spec; the reference is generated from them.
public enum PipelineSections {
    static let fieldsAndAction = "list of fields, or a section (see checks.fields)"

    public static func all(_ catalog: ComponentCatalog) -> [ComponentSpec] {
        [top(catalog), source(catalog), mapping, normalize(catalog), options, protect, checks, checksFields, checksControlTotal, checksBalance,
         writers(catalog), target, targetRetry, reports, acknowledgement, operations, FailureCommand.spec, journal]
    }

    static func top(_ catalog: ComponentCatalog) -> ComponentSpec {
        ComponentSpec(.section, "pipeline", summary: "The top level of a pipeline file: its sections.", options: [
            OptionSpec("extends", .string, help: "Another pipeline file (relative to this one) whose sections are used, except name; each section written here replaces that file's whole.", example: "nightly-placement.yml"),
            OptionSpec("name", .string, default: "the file's name", help: "The pipeline's name in reports and the run journal.", example: "nightly-placement"),
            OptionSpec("source", .section, required: true, help: "The input file and its reader.", example: "{ file: ../SampleData/placement.csv }"),
            OptionSpec("mapping", .section, required: true, help: "Scollect field: source column.", example: "{ filenumber: Account Number }"),
            OptionSpec("normalize", .section, help: "Field: normaliser; a mapped field not listed is trimmed text.", example: "{ ssn: ssn }"),
            OptionSpec("options", .section, help: "Clear marker, no-news values, dates, reject limits.", example: "{ max_rejects: 100 }"),
            OptionSpec("protect", .section, help: "Account and phone statuses a load leaves alone.", example: "{ phone_statuses: [DO NOT CALL] }"),
            OptionSpec("checks", .section, help: "What the file must satisfy before any call.", example: "{ required: [lastname] }"),
            OptionSpec("writers", .sections, required: true, help: "The endpoints written, in order: one item per writer.", example: "[updatedbase]"),
            OptionSpec("target", .section, required: true, help: "The API and its pace.", example: "{ url: sandbox, requests_per_second: 20 }"),
            OptionSpec("reports", .section, required: true, help: "Where each run's reports go.", example: "{ folder: ../reports/nightly }"),
            OptionSpec("acknowledgement", .section, help: "The file sent back to the creditor: one line per input row.", example: "{ format: csv }"),
            OptionSpec("operations", .section, help: "Running unattended: reloads, archive and error folders.", example: "{ archive_folder: ../archive }"),
            OptionSpec("on_failure", .section, help: "A command told of a failed run.", example: "{ command: [/usr/local/bin/notify] }"),
            OptionSpec("journal", .section, help: "How long change records are kept.", example: "{ retention_days: 400 }"),
        ], example: "name: nightly-placement\nsource: { file: ../SampleData/placement.csv }\nmapping: { filenumber: Account Number, ssn: SSN }\nnormalize: { ssn: ssn }\nwriters:\n  - updatedbase\ntarget: { url: sandbox, requests_per_second: 20 }\nreports: { folder: ../reports/nightly-placement }",
        notes: ["Unknown keys are errors naming the file, line and column, with a \"did you mean\". YAML anchors and aliases are refused.",
                "Paths are relative to the file that writes them (an inherited section's to its parent's folder)."])
    }

    static func source(_ catalog: ComponentCatalog) -> ComponentSpec {
        ComponentSpec(.section, "source", summary: "The input file and how to read it; the reader's own keys go here too.", options: [
            OptionSpec("file", .string, required: true, help: "The input file, relative to the pipeline file: a dated name (placements_{yyyyMMdd}.csv, filled with the run's date) and/or a glob (inbox/*.csv).", example: "../SampleData/placement.csv"),
            OptionSpec("reader", .oneOf(catalog.readers.map(\.name)), default: "from the file's extension, else csv", help: "The reader; when given it always wins over the extension.", example: "xlsx"),
        ], example: "source:\n  file: ../SampleData/placement.xlsx\n  reader: xlsx\n  sheet: Placements",
        notes: ["Reader keys: " + catalog.readers.map { "\($0.name): \($0.spec.keys.isEmpty ? "none" : $0.spec.keys.joined(separator: ", "))" }.joined(separator: "; ") + "."])
    }

    static let mapping = ComponentSpec(.section, "mapping",
        summary: "Scollect field: source column (or a list: the column's other names, the first in the header is used).",
        example: "mapping:\n  filenumber: Account Number\n  ssn: [SSN, Social Security Number]\n  birthdate: DOB",
        notes: ["Keys are Scollect fields; filenumber is required. XML and JSON columns are paths inside a record."])

    static func normalize(_ catalog: ComponentCatalog) -> ComponentSpec {
        ComponentSpec(.section, "normalize",
            summary: "Mapped field: normaliser, or { type: normaliser, on_error: …, and the normaliser's options }.",
            options: [
                OptionSpec("type", .oneOf(catalog.normalizers.map { $0.spec.name }), required: true, help: "The normaliser (in the short form, the value itself).", example: "date"),
                OptionSpec("on_error", .oneOf(PipelineConfig.OnError.allCases.map(\.rawValue)), default: "reject", help: "reject: the row goes to the rejects; drop_field: only the field is dropped, with a warning.", example: "drop_field"),
            ],
            example: "normalize:\n  ssn: ssn\n  home_phone: { type: phone, on_error: drop_field }\n  birthdate: { type: date, day_first: true }",
            notes: ["Keys are mapped fields; a mapped field not listed is normalised as text."])
    }

    static let options = ComponentSpec(.section, "options", summary: "Pipeline-wide settings.", options: [
        OptionSpec("clear_marker", .string, help: "A cell holding exactly this clears the field in Scollect (a blank cell never does).", example: "\"*CLEAR*\""),
        OptionSpec("no_news_values", .list, default: NoNewsValues.defaults.joined(separator: ", "), help: "Cells meaning \"nothing\": never overwrite a field; [] turns the list off.", example: "[NULL, N/A]"),
        OptionSpec("day_first", .boolean, default: "false", help: "Date fields read 3/6/2024 as 3 June (a field's own day_first wins).", example: "true"),
        OptionSpec("excel_date_system", .oneOf(["1900", "1904"]), default: "1900", help: "The workbook's date system for Excel serials (a field's own wins).", example: "\"1904\""),
        OptionSpec("max_rejects", .integer(0...Int.max), help: "More rejected rows than this aborts the run (exit 5).", example: "100"),
        OptionSpec("max_reject_ratio", .number(minimum: 0), help: "From the 1,000th row on, a larger share of rejected rows (0 to 1) aborts the run (exit 5).", example: "0.05"),
        OptionSpec("read_from_portfolios", .list, help: "Read these portfolios' accounts with one listing call each instead of getaccount + getphones per account.", example: "[ACME-2024]"),
    ], example: "options:\n  clear_marker: \"*CLEAR*\"\n  max_rejects: 100\n  max_reject_ratio: 0.05")

    static let protect = ComponentSpec(.section, "protect",
        summary: "Statuses a load leaves alone; compared upper-cased, runs of spaces, - and _ as one space.", options: [
        OptionSpec("account_statuses", .list, default: "[]", help: "An account with one of these statuses (DECEASED for the deceased flag) is not changed.", example: "[BANKRUPT, DECEASED]"),
        OptionSpec("phone_statuses", .list, default: "[]", help: "A phone with one of these statuses is never changed.", example: "[DO NOT CALL]"),
    ], example: "protect:\n  account_statuses: [BANKRUPT]\n  phone_statuses: [DO NOT CALL, REVOKED CONSENT]")

    static let checks = ComponentSpec(.section, "checks",
        summary: "What the file must satisfy before any call; a failed whole-file check holds the file (exit 4).", options: [
        OptionSpec("required", .value(fieldsAndAction), help: "Fields every row must have.", example: "[lastname, currentbalance]"),
        OptionSpec("duplicate_filenumbers", .oneOf(FileChecks.DuplicatePolicy.allCases.map(\.rawValue)), help: "A file number on two rows: hold the file, or keep the first or last row.", example: "last_wins"),
        OptionSpec("control_total", .section, help: "A trailer row: marker, row count, and optionally a sum (see checks.control_total).", example: "{ trailer_marker: TRAILER, sum_of: currentbalance }"),
        OptionSpec("no_future_dates", .value(fieldsAndAction), help: "Date fields that cannot be in the future.", example: "[birthdate]"),
        OptionSpec("balance_adds_up", .section, help: "A total field must be the sum of parts (see checks.balance_adds_up).", example: "{ total: currentbalance, parts: [principal, miscfees] }"),
    ], example: "checks:\n  required: [lastname, currentbalance]\n  duplicate_filenumbers: last_wins\n  no_future_dates: { fields: [birthdate], on_fail: hold }")

    static let checksFields = ComponentSpec(.section, "checks.fields",
        summary: "The long form of checks.required and checks.no_future_dates: the fields, and what a failure does.", options: [
        OptionSpec("fields", .list, required: true, help: "Mapped fields.", example: "[lastname, currentbalance]"),
        OptionSpec("on_fail", .oneOf(FileChecks.Action.allCases.map(\.rawValue)), default: "reject_row", help: "hold: the whole file is held (exit 4); reject_row: only the row is rejected.", example: "hold"),
    ], example: "checks:\n  required: { fields: [lastname, currentbalance], on_fail: hold }")

    static let checksControlTotal = ComponentSpec(.section, "checks.control_total",
        summary: "The trailer row: its first cell the marker, the second the number of data rows, the third the sum.", options: [
        OptionSpec("trailer_marker", .string, required: true, help: "The trailer row's first cell.", example: "TRAILER"),
        OptionSpec("sum_of", .string, help: "A money field whose sum the trailer's third cell holds.", example: "currentbalance"),
    ], example: "checks:\n  control_total: { trailer_marker: TRAILER, sum_of: currentbalance }")

    static let checksBalance = ComponentSpec(.section, "checks.balance_adds_up",
        summary: "A money field that must equal the sum of others.", options: [
        OptionSpec("total", .string, required: true, help: "The money field holding the total.", example: "currentbalance"),
        OptionSpec("parts", .list, required: true, help: "The money fields it is the sum of.", example: "[principal, accruedinterest, miscfees]"),
        OptionSpec("tolerance", .number(minimum: 0), default: "0.005", help: "The difference allowed.", example: "0.01"),
        OptionSpec("on_fail", .oneOf(FileChecks.Action.allCases.map(\.rawValue)), default: "reject_row", help: "Hold the file, or reject the row.", example: "hold"),
    ], example: "checks:\n  balance_adds_up: { total: currentbalance, parts: [principal, miscfees], tolerance: 0.01 }")

    static func writers(_ catalog: ComponentCatalog) -> ComponentSpec {
        ComponentSpec(.section, "writers", summary: "The endpoints written, in order: each item `- name` or `- name: { its options }`.",
            example: "writers:\n  - updatedbase:\n      keep: [birthdate]\n  - insertphone:\n      phones: [{ field: home_phone, type: HOME }]",
            notes: ["Writers: " + catalog.writers.map { $0.name }.joined(separator: ", ") + "."])
    }

    static let target = ComponentSpec(.section, "target", summary: "The API and the pace of calls; SCOLLECT_URL overrides url.", options: [
        OptionSpec("url", .string, required: true, help: "sandbox (the embedded sandbox) or the API's https:// base URL.", example: "sandbox"),
        OptionSpec("requests_per_second", .number(minimum: 0.01), required: true, help: "The most calls started per second by this run.", example: "20"),
        OptionSpec("tenant_requests_per_second", .number(minimum: 0.01), default: "requests_per_second",
                   help: "The most calls started per second by all the runs of this tenant together (processes sharing its journal); when running pipelines disagree, the lowest wins.", example: "20"),
        OptionSpec("max_in_flight", .integer(1...64), default: "4", help: "Calls in flight at once.", example: "8"),
        OptionSpec("batch_size", .integer(1...100_000), default: "500", help: "Rows read and planned together.", example: "1000"),
        OptionSpec("timeout_seconds", .number(minimum: 1), default: "30", help: "Per call.", example: "60"),
        OptionSpec("sandbox_seed", .list, default: "[]", help: "Account files the embedded sandbox is seeded with when its database is new.", example: "[../SampleData/sandbox-accounts.json]"),
        OptionSpec("retry", .section, help: "Attempts and backoff for calls safe to retry (see target.retry).", example: "{ max_attempts: 5 }"),
    ], example: "target:\n  url: sandbox\n  requests_per_second: 20\n  max_in_flight: 4")

    static let targetRetry = ComponentSpec(.section, "target.retry", summary: "Retries of calls safe to retry: exponential backoff, full jitter.", options: [
        OptionSpec("max_attempts", .integer(1...20), default: "5", help: "Attempts in all.", example: "5"),
        OptionSpec("base_delay_seconds", .number(minimum: 0), default: "0.25", help: "The first backoff.", example: "0.5"),
        OptionSpec("max_delay_seconds", .number(minimum: 0), default: "8", help: "The longest backoff.", example: "8"),
        OptionSpec("down_after_seconds", .number(minimum: 1), default: "60", help: "The API counts as down (exit 6) only after this long without an answer, or with most calls of that window failing; a login is tried again for as long.", example: "120"),
    ], example: "target:\n  retry: { max_attempts: 5, base_delay_seconds: 0.25, max_delay_seconds: 8 }")

    static let reports = ComponentSpec(.section, "reports", summary: "Each run writes into a sub-folder of its own (latest links the last).", options: [
        OptionSpec("folder", .string, required: true, help: "The reports folder, relative to the pipeline file.", example: "../reports/nightly-placement"),
    ], example: "reports:\n  folder: ../reports/nightly-placement")

    static let acknowledgement = ComponentSpec(.section, "acknowledgement",
        summary: "The file sent back to the creditor: one line per input row, accepted or rejected, why, what changed.", options: [
        OptionSpec("format", .oneOf(PipelineConfig.Acknowledgement.Format.allCases.map(\.rawValue)), default: "csv", help: "The file's format.", example: "xlsx"),
        OptionSpec("folder", .string, default: "the run's report folder", help: "Where it is written.", example: "../outbox"),
    ], example: "acknowledgement:\n  format: csv\n  folder: ../outbox")

    static let operations = ComponentSpec(.section, "operations", summary: "Running the nightly job unattended.", options: [
        OptionSpec("refuse_reloaded_input", .boolean, default: "true", help: "A file loaded before (same pipeline and SHA-256) is refused unless --force.", example: "false"),
        OptionSpec("archive_folder", .string, help: "Where a loaded input file is moved (exit 0 or 1).", example: "../archive"),
        OptionSpec("error_folder", .string, help: "Where a held or aborted input file is moved (exit 4 or 5).", example: "../errors"),
    ], example: "operations:\n  archive_folder: ../archive\n  error_folder: ../errors")

    static let journal = ComponentSpec(.section, "journal", summary: "The run journal's change records (previous values, for rollback).", options: [
        OptionSpec("retention_days", .integer(1...36_500), required: true, help: "Change records older than this are purged when a run opens the journal.", example: "400"),
    ], example: "journal:\n  retention_days: 400")
}
