import Foundation

/// `report.html` in a run's folder: one self-contained page (inline CSS and SVG, no script, no
/// network resource) that opens offline and can be mailed: counts, rejects by reason, requests
/// per second over the run, latency percentiles per endpoint, the slowest and the failed
/// requests. Built after the run from the summary and the audit's statistics (gathered as the
/// audit was written, or in one streaming pass over `audit.jsonl.gz`), whose bodies are never
/// shown (its messages are masked already, and are masked again here).
public enum HTMLRunReport {
    public static let fileName = "report.html"

    /// Reads the run folder's audit and writes `report.html` beside it (mode 0600, like the
    /// other reports). Returns the file's path.
    @discardableResult
    public static func write(summary: RunSummary, folder: String) throws -> String {
        let statistics = try summary.auditStatistics ?? AuditStatistics.read(auditPath: folder + "/audit.jsonl.gz")
        let path = folder + "/" + fileName
        try PrivateFile.write(render(summary: summary, statistics: statistics), to: path)
        return path
    }

    public static func render(summary: RunSummary, statistics: AuditStatistics) -> String {
        var html = """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"/>
        <meta name="viewport" content="width=device-width, initial-scale=1"/>
        <title>\(HTML.escape("Run \(summary.runId) — \(pipelineName(summary))"))</title>
        <style>\(css)</style></head><body>

        """
        html += header(summary, statistics)
        html += counts(summary, statistics)
        html += rejects(summary)
        html += requestsOverTime(statistics)
        html += latency(statistics)
        html += requestTable(statistics.slowest, id: "slowest", title: "Slowest requests",
                             note: "The \(AuditStatistics.slowestKept) slowest of \(statistics.requests) requests.")
        html += requestTable(statistics.failed, id: "failed", title: "Failed requests",
                             note: statistics.failedTotal > statistics.failed.count
                                 ? "The first \(statistics.failed.count) of \(statistics.failedTotal) (all are in audit.jsonl.gz)."
                                 : "\(statistics.failedTotal) request\(statistics.failedTotal == 1 ? "" : "s") without a usable answer (429, HTTP or transport error, timeout). Errors inside a 200 answer are not listed: their rows are in the rejects report.")
        html += footer(summary, statistics)
        return html + "</body></html>\n"
    }

    public static func pipelineName(_ summary: RunSummary) -> String {
        URL(fileURLWithPath: summary.pipeline).deletingPathExtension().lastPathComponent
    }

    // MARK: sections

    private static func header(_ summary: RunSummary, _ statistics: AuditStatistics) -> String {
        let exitClass = summary.exitCode == .done ? "ok" : summary.exitCode == .doneWithRejects ? "warn" : "bad"
        var rows: [(String, String)] = [("Run", summary.runId), ("Pipeline", summary.pipeline), ("Input", summary.inputFile)]
        if let digest = statistics.header["input_sha256"] { rows.append(("Input SHA-256", digest)) }
        rows.append(("Target", summary.target))
        if let started = statistics.header["started"] { rows.append(("Started", started)) }
        rows.append(("Elapsed", duration(summary.elapsedSeconds)))
        var html = "<header><h1>\(HTML.escape(pipelineName(summary)))</h1>"
        html += "<p class=\"exit \(exitClass)\">exit \(summary.exitCode.rawValue): \(HTML.escape(summary.exitCode.meaning))</p>"
        if let reason = summary.abortReason { html += "<p class=\"abort\">\(HTML.escape(Masking.maskSSNs(in: reason)))</p>" }
        html += "<table class=\"facts\">"
        for (key, value) in rows { html += "<tr><th>\(HTML.escape(key))</th><td>\(HTML.escape(value))</td></tr>" }
        for notice in summary.notices { html += "<tr><th>Notice</th><td>\(HTML.escape(notice))</td></tr>" }
        return html + "</table></header>\n"
    }

    private static func counts(_ summary: RunSummary, _ statistics: AuditStatistics) -> String {
        let rate = summary.elapsedSeconds > 0 ? Double(statistics.requests) / summary.elapsedSeconds : 0
        let cards: [(String, String, String)] = [
            ("Rows read", "\(summary.rowsRead)", ""), ("Written", "\(summary.written)", "ok"),
            ("Unchanged", "\(summary.unchanged)", ""), ("Rejected", "\(summary.rejected)", summary.rejected > 0 ? "warn" : ""),
            ("Requests", "\(statistics.requests)", ""), ("Requests/s", SVGChart.format(rate), ""),
            ("Answered 429", "\(statistics.rateLimited)", statistics.rateLimited > 0 ? "warn" : ""),
            ("Retries", "\(statistics.retries)", statistics.retries > 0 ? "warn" : ""),
            ("Errors in answers", "\(statistics.errorAnswers)", ""),
            ("Failed requests", "\(statistics.failedTotal)", statistics.failedTotal > 0 ? "bad" : ""),
        ]
        var html = "<section id=\"counts\"><h2>Counts</h2><div class=\"cards\">"
        for (label, value, tone) in cards {
            html += "<div class=\"card \(tone)\"><div class=\"number\">\(HTML.escape(value))</div><div class=\"what\">\(HTML.escape(label))</div></div>"
        }
        html += "</div>"
        html += countTable(summary.callsByEndpoint, heading: "Endpoint", countHeading: "Requests")
        return html + "</section>\n"
    }

    /// A two-column table of counts by name, sorted by name; nothing when there are none.
    private static func countTable(_ counts: [String: Int], heading: String, countHeading: String) -> String {
        guard !counts.isEmpty else { return "" }
        var html = "<table class=\"data narrow\"><thead><tr><th>\(HTML.escape(heading))</th><th class=\"n\">\(HTML.escape(countHeading))</th></tr></thead><tbody>"
        for (name, count) in counts.sorted(by: { $0.key < $1.key }) {
            html += "<tr><td>\(HTML.escape(name))</td><td class=\"n\">\(count)</td></tr>"
        }
        return html + "</tbody></table>"
    }

    private static func rejects(_ summary: RunSummary) -> String {
        var html = "<section id=\"rejects\"><h2>Rejects by reason</h2>"
        guard !summary.rejectsByReason.isEmpty else { return html + "<p class=\"note\">No row was rejected.</p></section>\n" }
        let items = summary.rejectsByReason.sorted { ($1.value, $0.key) < ($0.value, $1.key) }.map { (label: $0.key.rawValue, value: $0.value) }
        html += SVGChart.horizontalBars(items, title: "Rejected rows by reason")
        html += "<p class=\"note\">Every rejected row is in rejects.csv.gz with its reason, message and original columns: fix it and feed it back with <code>run --input</code>.</p>"
        html += countTable(Dictionary(uniqueKeysWithValues: summary.warningsByReason.map { ($0.key.rawValue, $0.value) }),
                           heading: "Warning (row went on)", countHeading: "Rows")
        return html + "</section>\n"
    }

    private static func requestsOverTime(_ statistics: AuditStatistics) -> String {
        var html = "<section id=\"rate\"><h2>Requests per second</h2>"
        guard statistics.requests > 0 else { return html + "<p class=\"note\">No request was made.</p></section>\n" }
        html += SVGChart.requestsOverTime(statistics.perSecond, span: statistics.spanSeconds, title: "Requests per second over the run")
        return html + "<p class=\"note\"><span class=\"key column\"></span> requests/s <span class=\"key failed\"></span> failed (429s included), over \(SVGChart.time(statistics.spanSeconds)) from the first request.</p></section>\n"
    }

    private static func latency(_ statistics: AuditStatistics) -> String {
        var html = "<section id=\"latency\"><h2>Latency per endpoint</h2>"
        guard statistics.requests > 0 else { return html + "<p class=\"note\">No request was made.</p></section>\n" }
        let rows = statistics.latencyByEndpoint.sorted { $0.key < $1.key }.map { endpoint, histogram in
            (endpoint: endpoint, p50: histogram.percentile(0.5), p90: histogram.percentile(0.9), p99: histogram.percentile(0.99), max: histogram.maximum)
        }
        html += SVGChart.latencies(rows, title: "Latency percentiles per endpoint, logarithmic scale")
        html += "<table class=\"data narrow\"><thead><tr><th>Endpoint</th><th class=\"n\">Requests</th><th class=\"n\">p50 ms</th><th class=\"n\">p90 ms</th><th class=\"n\">p99 ms</th><th class=\"n\">max ms</th></tr></thead><tbody>"
        for row in rows {
            let count = statistics.latencyByEndpoint[row.endpoint]!.count
            html += "<tr><td>\(HTML.escape(row.endpoint))</td><td class=\"n\">\(count)</td>"
            for value in [row.p50, row.p90, row.p99, row.max] { html += "<td class=\"n\">\(SVGChart.format(value))</td>" }
            html += "</tr>"
        }
        return html + "</tbody></table><p class=\"note\">Percentiles are within 5% (a histogram of the latencies); the maximum is exact.</p></section>\n"
    }

    private static func requestTable(_ requests: [AuditedRequest], id: String, title: String, note: String) -> String {
        var html = "<section id=\"\(id)\"><h2>\(HTML.escape(title))</h2><p class=\"note\">\(HTML.escape(note))</p>"
        guard !requests.isEmpty else { return html + "</section>\n" }
        html += "<table class=\"data\"><thead><tr><th>Time (UTC)</th><th>Request</th><th>File number</th><th class=\"n\">HTTP</th><th>Outcome</th><th class=\"n\">ms</th><th class=\"n\">Attempt</th><th>Message</th></tr></thead><tbody>"
        for request in requests {
            html += "<tr><td class=\"nowrap\">\(HTML.escape(clock(request.time)))</td><td class=\"nowrap\">\(HTML.escape(request.method + " " + request.endpoint))</td>"
            html += "<td>\(HTML.escape(request.filenumber ?? ""))</td><td class=\"n\">\(request.httpStatus.map(String.init) ?? "—")</td>"
            html += "<td>\(HTML.escape(request.outcome))</td><td class=\"n\">\(SVGChart.format(request.latencyMs))</td><td class=\"n\">\(request.attempt)</td>"
            html += "<td class=\"message\">\(HTML.escape(Masking.maskSSNs(in: request.message ?? "")))</td></tr>"
        }
        return html + "</tbody></table></section>\n"
    }

    private static func footer(_ summary: RunSummary, _ statistics: AuditStatistics) -> String {
        let tool = [statistics.header["tool"], statistics.header["version"]].compactMap { $0 }.joined(separator: " ")
        return "<footer>Reports in \(HTML.escape(summary.reportFolder)): rejects.csv.gz, audit.jsonl.gz, summary.json. \(HTML.escape(tool))</footer>\n"
    }

    // MARK: formatting

    public static func duration(_ seconds: Double) -> String {
        seconds < 60 ? String(format: "%.1f s", seconds) : SVGChart.time(Int(seconds.rounded())) + (seconds >= 3600 ? " h" : " min")
    }

    /// `21:40:47.123` of a request's start (the date is in the header).
    static func clock(_ epochSeconds: Double) -> String {
        let whole = Int(epochSeconds.rounded(.down))
        let daySeconds = ((whole % 86400) + 86400) % 86400
        return String(format: "%02d:%02d:%02d.%03d", daySeconds / 3600, daySeconds / 60 % 60, daySeconds % 60,
                      Int(((epochSeconds - Double(whole)) * 1000).rounded(.down)))
    }

    static let css = """
    body{font:14px/1.45 -apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:#1f2933;background:#f5f7fa;margin:0;padding:24px 32px;max-width:1100px}
    h1{font-size:24px;margin:0 0 4px}h2{font-size:17px;margin:0 0 12px;color:#334e68}
    section,header{background:#fff;border:1px solid #d9e2ec;border-radius:6px;padding:16px 20px;margin:0 0 18px}
    .exit{display:inline-block;font-weight:600;padding:2px 10px;border-radius:12px;margin:4px 0 10px}
    .exit.ok{background:#e3f9e5;color:#207227}.exit.warn{background:#fffbea;color:#8d2b0b}.exit.bad{background:#ffe3e3;color:#a61b1b}
    .abort{color:#a61b1b;font-weight:600}
    table{border-collapse:collapse}.facts th{text-align:left;color:#627d98;font-weight:500;padding:1px 16px 1px 0;vertical-align:top}
    .facts td{word-break:break-all}
    .data{width:100%;margin-top:10px;font-size:13px}.data.narrow{width:auto;min-width:360px}
    .data th{text-align:left;border-bottom:2px solid #d9e2ec;padding:4px 10px 4px 0;color:#486581;font-weight:600}
    .data td{border-bottom:1px solid #eef2f6;padding:3px 10px 3px 0;vertical-align:top}
    .n{text-align:right;font-variant-numeric:tabular-nums}.nowrap{white-space:nowrap}.message{color:#52606d}
    .cards{display:flex;flex-wrap:wrap;gap:10px}
    .card{border:1px solid #d9e2ec;border-radius:6px;padding:8px 14px;min-width:100px}
    .card .number{font-size:22px;font-weight:600;font-variant-numeric:tabular-nums}.card .what{color:#627d98;font-size:12px}
    .card.ok .number{color:#207227}.card.warn .number{color:#b44d12}.card.bad .number{color:#a61b1b}
    .note{color:#627d98;font-size:12px;margin:8px 0 0}
    .chart{display:block;max-width:100%;height:auto}
    .chart text{font-size:12px;fill:#334e68}.chart .axis,.chart .small{font-size:11px;fill:#627d98}
    .chart .bar{fill:#e8833a}.chart .column{fill:#4c9aff}.chart .failed{fill:#d64545}
    .chart .grid{stroke:#e4e7eb;stroke-width:1}.chart .axisline{stroke:#9fb3c8;stroke-width:1}
    .chart .p50{fill:#9fb3c8}.chart .p90{fill:#4c9aff}.chart .p99{fill:#2a5db0}.chart .max{fill:#d64545}
    .key{display:inline-block;width:10px;height:10px;margin:0 3px 0 8px;vertical-align:middle}
    .key.column{background:#4c9aff}.key.failed{background:#d64545}
    code{background:#eef2f6;padding:0 4px;border-radius:3px}
    footer{color:#829ab1;font-size:12px;margin-top:8px}
    """
}
