import Foundation

/// The acknowledgement file agencies send back to the creditor the next morning: one line per
/// input row — accepted or rejected, the reason, and what changed — as CSV or XLSX. Written
/// through the export writers, so it streams like an export.
final class AcknowledgementReport {
    static let columns = ["row", "filenumber", "client_reference", "status", "reason", "changes", "message"]

    struct Line {
        let row: Int
        let filenumber: String
        let clientReference: String
        let accepted: Bool
        let reason: String
        /// Call summaries (`updatedbase address`, `insertphone 205-555-0134`).
        let changes: [String]
        let message: String
    }

    let path: String
    private let writer: any ExportWriter

    init(path: String, format: PipelineConfig.Acknowledgement.Format) throws {
        self.path = path
        let output = try ExportFileOutput(path: path, gzip: false)
        switch format {
        case .csv: writer = CSVExportWriter(output: output, formulaGuard: true)
        case .xlsx: writer = XLSXExportWriter(output: output, sheetName: "Acknowledgement")
        }
        try writer.begin(columns: AcknowledgementReport.columns.map { ExportColumn(name: $0, source: .field($0), format: .text) })
    }

    func add(_ line: Line) throws {
        // The creditor sent these values, but an acknowledgement travels by e-mail: no full SSN
        // or card number in it.
        let message = Masking.maskFreeText(line.message)
        try writer.write([.number(String(line.row)), .text(line.filenumber), .text(line.clientReference),
                          .text(line.accepted ? "ACCEPTED" : "REJECTED"), .text(line.reason),
                          .text(line.accepted ? AcknowledgementReport.describe(line.changes) : ""), .text(message)])
    }

    func finish() throws { try writer.finish() }

    /// `updatedbase: address, city; insertphone: 205-555-0134`, or `no change`.
    static func describe(_ changes: [String]) -> String {
        guard !changes.isEmpty else { return "no change" }
        var order: [String] = []
        var items: [String: [String]] = [:]
        for change in changes {
            let parts = change.split(separator: " ", maxSplits: 1).map(String.init)
            let endpoint = parts[0]
            if items[endpoint] == nil { order.append(endpoint) }
            items[endpoint, default: []].append(parts.count > 1 ? parts[1] : "")
        }
        return order.map { endpoint in
            let details = items[endpoint]!.filter { !$0.isEmpty }
            return details.isEmpty ? endpoint : "\(endpoint): \(details.joined(separator: ", "))"
        }.joined(separator: "; ")
    }
}
