/// The sections of an export pipeline file (`source: { scollect: … }`): their keys, types,
/// defaults and examples. `ExportPipelineLoader` checks each section against its spec; the
/// reference is generated from them. `target` and `reports` are the load pipeline's.
public enum ExportSections {
    public static var all: [ComponentSpec] { [top, source, scollect, sink, column] }

    static let top = ComponentSpec(.section, "export", summary: "The top level of an export pipeline file (Scollect → file): its sections.", options: [
        OptionSpec("name", .string, default: "the file's name", help: "The export's name in reports.", example: "portfolio-export"),
        OptionSpec("source", .section, required: true, help: "What is read from Scollect (see export.source).", example: "{ scollect: { portfolios: all } }"),
        OptionSpec("sink", .section, required: true, help: "The file written (see export.sink).", example: "{ file: ../exports/accounts.csv }"),
        OptionSpec("columns", .sections, required: true, help: "The file's columns, in order (see export.columns).", example: "[{ name: Account, from: filenumber }]"),
        OptionSpec("target", .section, required: true, help: "The API and its pace, as in a load pipeline (see target; batch_size defaults to 200).", example: "{ url: sandbox, requests_per_second: 20 }"),
        OptionSpec("reports", .section, required: true, help: "Where each run's reports go (see reports).", example: "{ folder: ../reports/export }"),
    ], example: "name: portfolio-export\nsource: { scollect: { portfolios: all, include: [account] } }\nsink: { file: ../exports/accounts.csv }\ncolumns:\n  - { name: Account, from: filenumber }\ntarget: { url: sandbox, requests_per_second: 20 }\nreports: { folder: ../reports/portfolio-export }")

    static let source = ComponentSpec(.section, "export.source", summary: "An export reads from Scollect: a source with scollect: makes the file an export pipeline.", options: [
        OptionSpec("scollect", .section, required: true, help: "The portfolios and the reads per account (see export.source.scollect).", example: "{ portfolios: all }"),
    ], example: "source:\n  scollect: { portfolios: all }")

    static let scollect = ComponentSpec(.section, "export.source.scollect", summary: "The accounts exported and what is read of each.", options: [
        OptionSpec("portfolios", .value("a list of portfolio names, or all"), required: true, help: "The portfolios whose accounts are exported.", example: "[\"C2CLA 12.1.22\"]"),
        OptionSpec("include", .list, default: "[]", help: "The reads per account the columns need: " + ExportPipelineConfig.Include.allCases.map(\.rawValue).joined(separator: ", ") + ".", example: "[account, payments, phones]"),
    ], example: "source:\n  scollect:\n    portfolios: [\"C2CLA 12.1.22\"]\n    include: [account, payments, phones]")

    static let sink = ComponentSpec(.section, "export.sink", summary: "The file written.", options: [
        OptionSpec("file", .string, required: true, help: "The file, relative to the pipeline file.", example: "../exports/portfolio-export.xlsx"),
        OptionSpec("format", .oneOf(ExportPipelineConfig.Format.allCases.map(\.rawValue)), default: "from the file's extension", help: "The file's format.", example: "xlsx"),
        OptionSpec("gzip", .boolean, default: "false", help: "Gzip the file.", example: "true"),
        OptionSpec("sheet", .string, default: "Accounts", help: "xlsx: the sheet's name (at most 31 characters, none of []:*?/\\).", example: "Accounts"),
        OptionSpec("csv_formula_guard", .boolean, default: "true", help: "csv: a cell starting with = + - @ gets a leading ' (no formula injection).", example: "false"),
    ], example: "sink:\n  file: ../exports/portfolio-export.xlsx\n  format: xlsx\n  sheet: Accounts")

    static let column = ComponentSpec(.section, "export.columns", summary: "One item per column of the file.", options: [
        OptionSpec("from", .string, required: true, help: "A field (currentbalance) or an aggregate of an included list: payments.count, payments.first.KEY, payments.last.KEY, payments.sum.KEY.", example: "payments.sum.paymentamount"),
        OptionSpec("name", .string, default: "from", help: "The column's header.", example: "Total Paid"),
        OptionSpec("format", .oneOf(ExportColumn.Format.names), default: "text", help: "How the value is written.", example: "money"),
        OptionSpec("date", .string, default: "yyyy-MM-dd", help: "format: date only: a pattern of yyyy/yy, MM/M, dd/d and separators.", example: "MM/dd/yyyy"),
    ], example: "columns:\n  - { name: Account, from: filenumber }\n  - { name: DOB, from: birthdate, format: date, date: MM/dd/yyyy }\n  - { name: Total Paid, from: payments.sum.paymentamount, format: money }")
}
