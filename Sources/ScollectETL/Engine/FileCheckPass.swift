import Foundation

/// The first pass over a file whose pipeline has whole-file checks: reads and normalises every
/// row (no call), and decides whether the file may be loaded at all.
struct FileCheckVerdict {
    /// Why the file is held; empty when it may go.
    var heldBecause: [String] = []
    /// Rows another row of the same account wins over (`first_wins` / `last_wins`): row → winner.
    var supersededBy: [Int: Int] = [:]
}

enum FileCheckPass {
    static func run(_ checks: FileChecks, reader: any RecordReader, mapper: RowMapper, readerOptions: any ReaderOptions, inputName: String) throws -> FileCheckVerdict {
        var verdict = FileCheckVerdict()
        var dataRows = 0
        var sum = Decimal(0)
        var trailer: (row: Int, cells: [String])?
        var rowsAfterTrailer = 0
        var firstRowOf: [String: Int] = [:]
        var repeatedRows: [String: [Int]] = [:]
        var heldRows: [ReasonCode: [Int]] = [:]

        while let read = try reader.next() {
            if let cells = checks.trailerCells(read, reader: readerOptions) {
                trailer = (read.row, cells)
                continue
            }
            dataRows += 1
            if trailer != nil { rowsAfterTrailer += 1 }
            guard case let .record(record) = read else { continue }
            if let account = mapper.account(of: record) {
                if let first = firstRowOf[account] {
                    repeatedRows[account, default: [first]].append(record.row)
                } else {
                    firstRowOf[account] = record.row
                }
            }
            guard case let .row(row) = mapper.map(record) else { continue }
            if let field = checks.controlTotal?.sumOf, case let .value(text)? = row[field], let amount = Decimal(string: text) { sum += amount }
            for (issue, action) in checks.rowIssues(row) where action == .hold { heldRows[issue.reason, default: []].append(row.row) }
        }

        // Duplicated file numbers.
        if let policy = checks.duplicates, !repeatedRows.isEmpty {
            let accounts = repeatedRows.keys.sorted { repeatedRows[$0]![0] < repeatedRows[$1]![0] }
            switch policy {
            case .reject:
                let examples = accounts.prefix(5).map { "\($0) on rows \(repeatedRows[$0]!.map(String.init).joined(separator: ", "))" }
                verdict.heldBecause.append("\(accounts.count) file number(s) appear on more than one row (checks.duplicate_filenumbers: reject): "
                    + examples.joined(separator: "; ") + (accounts.count > 5 ? "; …" : ""))
            case .firstWins, .lastWins:
                for rows in repeatedRows.values {
                    let winner = policy == .firstWins ? rows.first! : rows.last!
                    for row in rows where row != winner { verdict.supersededBy[row] = winner }
                }
            }
        }

        // The control total.
        if let control = checks.controlTotal {
            if let trailer {
                let expectedRows = trailer.cells.count > 1 ? Int(trailer.cells[1].trimmingCharacters(in: .whitespaces)) : nil
                if expectedRows != dataRows {
                    verdict.heldBecause.append("control total: the trailer (row \(trailer.row)) says \(trailer.cells.count > 1 ? trailer.cells[1] : "nothing") rows, the file has \(dataRows)")
                }
                if let field = control.sumOf {
                    let text = trailer.cells.count > 2 ? trailer.cells[2].replacingOccurrences(of: ",", with: "").replacingOccurrences(of: "$", with: "") : ""
                    if let expected = Decimal(string: text.trimmingCharacters(in: .whitespaces)) {
                        if expected != sum { verdict.heldBecause.append("control total: the trailer says \(field) sums to \(expected), the rows sum to \(sum)") }
                    } else {
                        verdict.heldBecause.append("control total: the trailer (row \(trailer.row)) has no \(field) sum in its third cell")
                    }
                }
                if rowsAfterTrailer > 0 {
                    verdict.heldBecause.append("control total: \(rowsAfterTrailer) row(s) follow the trailer (row \(trailer.row)); it must be the last row")
                }
            } else {
                verdict.heldBecause.append("control total: \(inputName) has no trailer row (first cell \"\(control.trailerMarker)\"); the file may be cut short")
            }
        }

        // Row checks set to hold the file.
        for (reason, rows) in heldRows.sorted(by: { $0.key < $1.key }) {
            verdict.heldBecause.append("\(rows.count) row(s) fail the \(reason.rawValue) check (on_fail: hold): rows "
                + rows.prefix(10).map(String.init).joined(separator: ", ") + (rows.count > 10 ? ", …" : ""))
        }
        return verdict
    }
}
