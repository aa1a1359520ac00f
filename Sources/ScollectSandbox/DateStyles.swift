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

    /// A strict `yyyy-mm-dd` (a real calendar day) as midnight UTC, or nil.
    static func isoDay(_ text: String) -> Date? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              parts.allSatisfy({ $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }),
              let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2])
        else { return nil }
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = TimeZone(identifier: "UTC")!
        // The calendar rolls 2023-02-30 over to March: only a day that reads back the same is real.
        guard let date = cal.date(from: DateComponents(year: y, month: m, day: d)) else { return nil }
        let back = cal.dateComponents([.year, .month, .day], from: date)
        guard back.year == y, back.month == m, back.day == d else { return nil }
        return date
    }

    /// `4/15/2023` (no leading zeros), in UTC or local time.
    static func monthDayYear(_ date: Date, utc: Bool) -> String {
        let t = brokenDown(date, utc: utc)
        return "\(t.tm_mon + 1)/\(t.tm_mday)/\(t.tm_year + 1900)"
    }

    /// `Tue, 20 Feb 2024 00:00:00 GMT` → 20240220, for ordering by day; nil when not in that style.
    static func rfc1123DayKey(_ text: String) -> Int? {
        let parts = text.split(separator: " ")
        guard parts.count >= 4, let d = Int(parts[1]), let m = months.firstIndex(of: String(parts[2])),
              let y = Int(parts[3])
        else { return nil }
        return y * 10000 + (m + 1) * 100 + d
    }
}
