import Foundation
import ScollectETL

/// The end-of-run summary for a terminal: counts with shares, rejects by reason, requests by
/// endpoint, time, the exit code and what it means, and where the reports are. Labels on the
/// left, numbers right-aligned in one column.
enum RunSummaryTable {
    private enum Line {
        case heading(String)
        case count(String, Int, note: String)
        case text(String, String)
        case blank
    }

    static func render(_ summary: RunSummary, progress: RunProgress?, reportFiles: [String]) -> String {
        var lines: [Line] = [
            .text("run", summary.runId.isEmpty ? "(none: stopped before the first request)" : summary.runId),
            .text("pipeline", summary.pipeline), .text("input", summary.inputFile), .text("target", summary.target), .blank,
            .heading("rows"),
        ]
        func share(_ count: Int) -> String {
            summary.rowsRead > 0 ? String(format: "%5.1f%%", 100 * Double(count) / Double(summary.rowsRead)) : ""
        }
        lines.append(.count("read", summary.rowsRead, note: ""))
        lines.append(.count("written", summary.written, note: share(summary.written)))
        lines.append(.count("unchanged", summary.unchanged, note: share(summary.unchanged)
            + (summary.alreadyBooked > 0 ? "  (\(summary.alreadyBooked) booked by an earlier run)" : "")
            + (summary.settledEarlier > 0 ? "  (\(summary.settledEarlier) settled by an earlier run)" : "")))
        lines.append(.count("rejected", summary.rejected, note: share(summary.rejected)))
        if !summary.rejectsByReason.isEmpty {
            lines += [.blank, .heading("rejects by reason")]
            for (reason, count) in summary.rejectsByReason.sorted(by: { ($1.value, $0.key) < ($0.value, $1.key) }) {
                lines.append(.count(reason.rawValue, count, note: ""))
            }
        }
        if !summary.warningsByReason.isEmpty {
            lines += [.blank, .heading("warnings (rows went on)")]
            for (reason, count) in summary.warningsByReason.sorted(by: { $0.key < $1.key }) { lines.append(.count(reason.rawValue, count, note: "")) }
        }
        lines += [.blank, .heading("requests by endpoint")]
        for (endpoint, count) in summary.callsByEndpoint.sorted(by: { $0.key < $1.key }) { lines.append(.count(endpoint, count, note: "")) }
        let rate = summary.elapsedSeconds > 0 ? String(format: "  %.1f/s", Double(summary.callsMade) / summary.elapsedSeconds) : ""
        lines.append(.count("total", summary.callsMade, note: rate))
        if let progress {
            lines.append(.count("answered 429", progress.rateLimited, note: progress.rateLimited > 0 ? "  the pace was lowered and recovered" : ""))
            lines.append(.count("retries", progress.retries, note: ""))
        }
        lines.append(.count("failed", summary.callsFailed, note: summary.callsFailed > 0 ? "  see the rejects report" : ""))
        lines += [.blank, .text("elapsed", HTMLRunReport.duration(summary.elapsedSeconds))]
        for notice in summary.notices { lines.append(.text("notice", notice)) }
        // The reason may quote a server's answer: no control character reaches the terminal.
        if let reason = summary.abortReason { lines.append(.text(summary.exitCode == .inputHeld ? "HELD" : "STOPPED", TerminalText.printable(reason))) }
        lines.append(.text("exit code", "\(summary.exitCode.rawValue)  \(summary.exitCode.meaning)"))
        if !summary.reportFolder.isEmpty {
            lines.append(.text("reports", summary.reportFolder + "/"))
            lines.append(.text("", reportFiles.joined(separator: "  ")))
        }
        if let acknowledgement = summary.acknowledgementFile { lines.append(.text("acknowledgement", acknowledgement)) }
        return layout(lines)
    }

    private static func layout(_ lines: [Line]) -> String {
        var labelWidth = 0, numberWidth = 0
        for line in lines {
            switch line {
            case let .count(label, count, _):
                labelWidth = max(labelWidth, label.count + 2)
                numberWidth = max(numberWidth, String(count).count)
            case let .text(label, _): labelWidth = max(labelWidth, label.count)
            case .heading, .blank: break
            }
        }
        return lines.map { line -> String in
            switch line {
            case let .heading(title): return title
            case .blank: return ""
            case let .count(label, count, note):
                let number = String(count)
                return "  " + label.padding(toLength: labelWidth - 2, withPad: " ", startingAt: 0) + "  "
                    + String(repeating: " ", count: numberWidth - number.count) + number + (note.isEmpty ? "" : "  " + note)
            case let .text(label, value):
                return label.padding(toLength: labelWidth, withPad: " ", startingAt: 0) + "  " + value
            }
        }.map { $0.replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression) }.joined(separator: "\n")
    }

    /// `--quiet`: the whole run on one line, for a cron mail's subject or a log.
    static func oneLine(_ summary: RunSummary) -> String {
        var line = "\(HTMLRunReport.pipelineName(summary)): rows \(summary.rowsRead) read, \(summary.written) written, \(summary.unchanged) unchanged, "
            + "\(summary.rejected) rejected; \(summary.callsMade) requests in \(HTMLRunReport.duration(summary.elapsedSeconds)); "
            + "exit \(summary.exitCode.rawValue) (\(summary.exitCode.meaning))"
        if !summary.reportFolder.isEmpty { line += "; reports \(summary.reportFolder)/" }
        return line
    }
}
