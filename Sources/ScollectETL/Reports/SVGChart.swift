import Foundation

/// The run report's charts as inline SVG: plain shapes and text, sized in pixels, styled by the
/// report's CSS classes, no script. Each bar carries a `<title>` (a tooltip in browsers).
enum SVGChart {
    /// One labelled horizontal bar per item, longest scale at the largest value.
    static func horizontalBars(_ items: [(label: String, value: Int)], title: String, width: Int = 1000) -> String {
        let rowHeight = 24
        let labelWidth = min(300, 24 + 9 * (items.map(\.label.count).max() ?? 0))
        let barSpace = Double(width - labelWidth - 70)
        let largest = Double(max(1, items.map(\.value).max() ?? 1))
        let height = max(rowHeight, items.count * rowHeight) + 8
        var svg = open(width: width, height: height, title: title)
        for (index, item) in items.enumerated() {
            let y = 4 + index * rowHeight
            let length = max(1, barSpace * Double(item.value) / largest)
            svg += "<text class=\"label\" x=\"\(labelWidth - 8)\" y=\"\(y + 16)\" text-anchor=\"end\">\(HTML.escape(item.label))</text>"
            svg += "<rect class=\"bar\" x=\"\(labelWidth)\" y=\"\(y + 3)\" width=\"\(format(length))\" height=\"\(rowHeight - 6)\">"
            svg += "<title>\(HTML.escape(item.label)): \(item.value)</title></rect>"
            svg += "<text class=\"value\" x=\"\(format(Double(labelWidth) + length + 6))\" y=\"\(y + 16)\">\(item.value)</text>"
        }
        return svg + "</svg>"
    }

    /// Requests per second over the run, as columns (several seconds each on a long run),
    /// failed requests stacked in red, with the peak and the time axis labelled.
    static func requestsOverTime(_ seconds: [Int: AuditStatistics.Second], span: Int, title: String, width: Int = 1000) -> String {
        let height = 220, left = 48, right = 12, top = 12, bottom = 28
        let plotWidth = Double(width - left - right), plotHeight = Double(height - top - bottom)
        let columns = max(1, min(span, 240))
        let secondsPerColumn = max(1, Int((Double(span) / Double(columns)).rounded(.up)))
        var totals = [AuditStatistics.Second](repeating: .init(), count: (span + secondsPerColumn - 1) / secondsPerColumn)
        for (second, counts) in seconds {
            let column = min(totals.count - 1, second / secondsPerColumn)
            totals[column].requests += counts.requests
            totals[column].failed += counts.failed
            totals[column].rateLimited += counts.rateLimited
        }
        let perSecond = totals.map { Double($0.requests) / Double(secondsPerColumn) }
        let peak = max(1, perSecond.max() ?? 1)
        let columnWidth = plotWidth / Double(max(1, totals.count))
        var svg = open(width: width, height: height, title: title)
        for fraction in [0.0, 0.5, 1.0] {
            let y = Double(top) + plotHeight * (1 - fraction)
            svg += "<line class=\"grid\" x1=\"\(left)\" y1=\"\(format(y))\" x2=\"\(width - right)\" y2=\"\(format(y))\"/>"
            svg += "<text class=\"axis\" x=\"\(left - 6)\" y=\"\(format(y + 4))\" text-anchor=\"end\">\(format(peak * fraction))</text>"
        }
        for (index, column) in totals.enumerated() where column.requests > 0 {
            let x = Double(left) + Double(index) * columnWidth
            let barWidth = max(1, columnWidth - (columnWidth > 3 ? 1 : 0))
            let total = plotHeight * perSecond[index] / peak
            let failed = total * Double(column.failed) / Double(column.requests)
            let from = time(index * secondsPerColumn)
            svg += "<rect class=\"column\" x=\"\(format(x))\" y=\"\(format(Double(top) + plotHeight - total))\" width=\"\(format(barWidth))\" height=\"\(format(total))\">"
            svg += "<title>\(from): \(format(perSecond[index])) requests/s, \(column.failed) failed, \(column.rateLimited) answered 429</title></rect>"
            if failed > 0 {
                svg += "<rect class=\"failed\" x=\"\(format(x))\" y=\"\(format(Double(top) + plotHeight - failed))\" width=\"\(format(barWidth))\" height=\"\(format(failed))\"/>"
            }
        }
        let baseline = Double(top) + plotHeight
        svg += "<line class=\"axisline\" x1=\"\(left)\" y1=\"\(format(baseline))\" x2=\"\(width - right)\" y2=\"\(format(baseline))\"/>"
        for fraction in [0.0, 0.5, 1.0] {
            let anchor = fraction == 0 ? "start" : fraction == 1 ? "end" : "middle"
            svg += "<text class=\"axis\" x=\"\(format(Double(left) + plotWidth * fraction))\" y=\"\(height - 8)\" text-anchor=\"\(anchor)\">\(time(Int(Double(span) * fraction)))</text>"
        }
        return svg + "</svg>"
    }

    /// Per endpoint, bars for p50, p90, p99 and the maximum on a logarithmic scale (one slow
    /// request would otherwise flatten the rest).
    static func latencies(_ rows: [(endpoint: String, p50: Double, p90: Double, p99: Double, max: Double)], title: String, width: Int = 1000) -> String {
        let labelWidth = 130, right = 70, barHeight = 9, groupHeight = 4 * barHeight + 14, top = 26
        let height = top + max(1, rows.count) * groupHeight + 24
        let largest = max(1, rows.map(\.max).max() ?? 1)
        // Decades from 0.1 ms up to the largest latency.
        let decades = max(1, Int(log10(largest / 0.1).rounded(.up)))
        let plotWidth = Double(width - labelWidth - right)
        func x(_ milliseconds: Double) -> Double { Double(labelWidth) + plotWidth * max(0, log10(max(milliseconds, 0.1) / 0.1)) / Double(decades) }
        var svg = open(width: width, height: height, title: title)
        let series = [("p50", "p50"), ("p90", "p90"), ("p99", "p99"), ("max", "max")]
        for (index, (name, css)) in series.enumerated() {
            svg += "<rect class=\"\(css)\" x=\"\(labelWidth + index * 80)\" y=\"4\" width=\"12\" height=\"10\"/>"
            svg += "<text class=\"axis\" x=\"\(labelWidth + index * 80 + 16)\" y=\"13\">\(name)</text>"
        }
        for decade in 0...decades {
            let milliseconds = 0.1 * pow(10, Double(decade))
            let position = x(milliseconds)
            svg += "<line class=\"grid\" x1=\"\(format(position))\" y1=\"\(top - 4)\" x2=\"\(format(position))\" y2=\"\(height - 20)\"/>"
            svg += "<text class=\"axis\" x=\"\(format(position))\" y=\"\(height - 6)\" text-anchor=\"middle\">\(milliseconds < 1 ? format(milliseconds) : String(Int(milliseconds))) ms</text>"
        }
        for (row, item) in rows.enumerated() {
            let y = top + row * groupHeight
            svg += "<text class=\"label\" x=\"\(labelWidth - 8)\" y=\"\(y + 2 * barHeight + 4)\" text-anchor=\"end\">\(HTML.escape(item.endpoint))</text>"
            for (index, (name, value)) in [("p50", item.p50), ("p90", item.p90), ("p99", item.p99), ("max", item.max)].enumerated() {
                let barY = y + index * barHeight
                let length = max(1, x(value) - Double(labelWidth))
                svg += "<rect class=\"\(name)\" x=\"\(labelWidth)\" y=\"\(barY)\" width=\"\(format(length))\" height=\"\(barHeight - 1)\">"
                svg += "<title>\(HTML.escape(item.endpoint)) \(name): \(format(value)) ms</title></rect>"
                if index == 3 || index == 0 {
                    svg += "<text class=\"small\" x=\"\(format(Double(labelWidth) + length + 4))\" y=\"\(barY + barHeight - 1)\">\(format(value)) ms</text>"
                }
            }
        }
        return svg + "</svg>"
    }

    private static func open(width: Int, height: Int, title: String) -> String {
        "<svg class=\"chart\" width=\"\(width)\" height=\"\(height)\" viewBox=\"0 0 \(width) \(height)\" role=\"img\" aria-label=\"\(HTML.escape(title))\">"
    }

    /// Short numbers for axes and tooltips: 3 significant digits, no trailing zeros.
    static func format(_ value: Double) -> String {
        if value >= 100 || value == value.rounded() { return String(Int(value.rounded())) }
        let text = String(format: value >= 10 ? "%.1f" : "%.2f", value)
        return text.contains(".") ? String(text.reversed().drop { $0 == "0" }.drop { $0 == "." }.reversed()) : text
    }

    /// Seconds as `m:ss` or `h:mm:ss`.
    static func time(_ seconds: Int) -> String {
        seconds >= 3600 ? String(format: "%d:%02d:%02d", seconds / 3600, seconds / 60 % 60, seconds % 60)
            : String(format: "%d:%02d", seconds / 60, seconds % 60)
    }
}

enum HTML {
    /// Text and attribute values, escaped for HTML and XML alike.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.count)
        for character in text.unicodeScalars {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            // Control characters are not allowed in XML and mean nothing in a report.
            case "\u{0}"..."\u{8}", "\u{B}", "\u{C}", "\u{E}"..."\u{1F}": out += "\u{FFFD}"
            default: out.unicodeScalars.append(character)
            }
        }
        return out
    }
}
