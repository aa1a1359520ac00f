import Foundation

/// An export pipeline, checked and resolved: its source is the Scollect API
/// (`source.scollect`), its sink a file. Sections mirror the code: `source.scollect` →
/// `ExportRunner`'s reads, `columns` → `ExportColumn`, `sink` → the `ExportWriter`s.
public struct ExportPipelineConfig {
    /// The documented per-account reads an export can include.
    public enum Include: String, CaseIterable, Sendable {
        case account, payments, phones, notes, attempts, emailstats

        /// The endpoint that reads it.
        public var endpoint: String {
            switch self {
            case .account: return "getaccount"
            case .payments: return "getpayments"
            case .phones: return "getphones"
            case .notes: return "getnotes"
            case .attempts: return "getattempts"
            case .emailstats: return "getemailstats"
            }
        }
    }

    public enum Portfolios: Equatable, Sendable {
        /// Every portfolio `getportfoliolist` lists, in its order.
        case all
        /// These, in this order.
        case named([String])
    }

    public enum Format: String, CaseIterable, Sendable {
        case csv, xlsx, json, ndjson
    }

    public struct Sink: Sendable {
        /// Absolute path of the output file.
        public var path: String
        public var format: Format
        public var gzip: Bool
        /// XLSX: the sheet's name.
        public var sheetName: String
        /// CSV: cells a spreadsheet would run as a formula get a leading `'` (`CSVFormulaGuard`);
        /// `sink.csv_formula_guard: false` turns it off for machine consumers.
        public var csvFormulaGuard = true
    }

    public var file: String
    public var name: String
    public var portfolios: Portfolios
    public var includes: [Include]
    public var sink: Sink
    public var columns: [ExportColumn]
    /// url, pacing, retries; `batch_size` is the number of accounts read per batch.
    public var target: PipelineConfig.Target
    /// Absolute path of the reports folder; each run writes into a sub-folder of its own.
    public var reportsFolder: String
}
