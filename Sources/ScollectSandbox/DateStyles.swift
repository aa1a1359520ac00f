import Foundation

/// The date styles the document's responses use (SEEDS-NOTES item 7).
enum DateStyles {
    private static let weekdays = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    private static func brokenDown(_ date: Date, utc: Bool) -> tm {
        var t = time_t(date.timeIntervalSince1970.rounded(.down))
        var out = tm()
        if utc { gmtime_r(&t, &out) } else { localtime_r(&t, &out) }
        return out
    }

    private static func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }

    /// `Thu, 01 Dec 2022 13:14:01 GMT`
    static func rfc1123(_ date: Date) -> String {
        let t = brokenDown(date, utc: true)
        return "\(weekdays[Int(t.tm_wday)]), \(two(t.tm_mday)) \(months[Int(t.tm_mon)]) \(t.tm_year + 1900) "
            + "\(two(t.tm_hour)):\(two(t.tm_min)):\(two(t.tm_sec)) GMT"
    }

    /// Note-line parts in local time: (`11/27/2023`, `12:14 PM`).
    static func noteDateAndTime(_ date: Date) -> (date: String, time: String) {
        let t = brokenDown(date, utc: false)
        let hour12 = t.tm_hour % 12 == 0 ? 12 : t.tm_hour % 12
        let ampm = t.tm_hour < 12 ? "AM" : "PM"
        return ("\(t.tm_mon + 1)/\(t.tm_mday)/\(t.tm_year + 1900)", "\(hour12):\(two(t.tm_min)) \(ampm)")
    }

    /// `2026-11-01` → `Sun, 01 Nov 2026 00:00:00 GMT`; anything else is returned unchanged.
    static func portfolioDate(_ text: String) -> String {
        let parts = text.split(separator: "-")
        guard parts.count == 3, let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]),
              (1...12).contains(m), (1...31).contains(d), parts[0].count == 4
        else { return text }
        var comps = DateComponents()
        comps.year = y; comps.month = m; comps.day = d
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = TimeZone(identifier: "UTC")!
        guard let date = cal.date(from: comps) else { return text }
        return rfc1123(date)
    }
}
