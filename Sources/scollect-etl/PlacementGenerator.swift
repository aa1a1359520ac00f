import Foundation

/// Generates placement files for benchmarks: the sample file's 30 columns, its mix of value
/// styles, and a share of values that must be rejected. Deterministic for a given seed.
struct PlacementGenerator {
    var state: UInt64
    let badShare: Double
    /// Messier still (`bench generate --messy`): line breaks inside quoted cells (~11 % of rows),
    /// doubled quotes, non-ASCII text (~68 % of rows), amounts with currency codes.
    let messy: Bool

    init(seed: UInt64, badShare: Double, messy: Bool = false) {
        state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        self.badShare = badShare
        self.messy = messy
    }

    static let header = "Account Number,Client Ref,First Name,Middle Name,Last Name,SSN,DOB,Address 1,Address 2,City,State,Zip,Home Phone,Cell Phone,Work Phone,Email,Employer,Original Creditor,Open Date,Charge Off Date,Last Payment Date,Last Payment Amount,Original Balance,Principal,Interest,Fees,Current Balance,Placement Date,Portfolio,Creditor Notes"
    static let firstNames = ["JAMES", "MARY", "ROBERT", "PATRICIA", "JOHN", "JENNIFER", "MICHAEL", "LINDA", "DAVID", "ELIZABETH", "JOSÉ", "MUÑOZ"]
    static let lastNames = ["SMITH", "JOHNSON", "WILLIAMS", "BROWN", "JONES", "GARCIA", "MILLER", "DAVIS", "RODRIGUEZ", "O'NEIL"]
    static let streets = ["MAIN ST", "OAK AVE", "PINE RD", "MAPLE DR", "CEDAR LN", "ELM ST", "VALLEY AVE", "SUNSET BLVD"]
    static let cities = [("ATLANTA", "GA", "30303", "404"), ("DENVER", "CO", "80202", "303"), ("PROVIDENCE", "RI", "02903", "401"),
                         ("TUSCALOOSA", "AL", "35401", "205"), ("CINCINNATI", "OH", "45202", "513")]
    static let employers = ["KROGER", "TARGET", "\"SMITH, JONES & CO\"", "UPS", "STATE OF ALABAMA", ""]
    static let accentedFirstNames = ["JOSÉ", "MUÑOZ", "ZOË", "BJÖRN", "FRANÇOISE", "ĐỨC", "SØREN", "ÅSA", "MÜLLER", "李明"]
    static let accentedLastNames = ["PEÑA", "GONZÁLEZ", "NGUYỄN", "O'BRIÉN", "KOWALCZYK-ŻAK", "DUBOIS–LEFÈVRE", "ÇELIK"]
    static let messyEmployers = ["\"THE \"\"BEST\"\" CAFÉ, LLC\"", "\"SMITH, JONES & CO\"", "DÉPÔT STORES", "\"ACME\nWAREHOUSE\""]
    static let messyNotes = ["\"CALLS AFTER 5PM\nSPANISH ONLY\"", "\"DISPUTE LETTER 3/4\r\nSENT \"\"CERTIFIED\"\"\"",
                             "\"HABLA ESPAÑOL – LLAMAR DESPUÉS DE LAS 5\"", "\"MOVED TO SÃO PAULO\nNO FORWARDING\""]

    mutating func next() -> UInt64 {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return state
    }

    mutating func int(_ range: ClosedRange<Int>) -> Int { range.lowerBound + Int(next() % UInt64(range.count)) }
    mutating func pick<T>(_ items: [T]) -> T { items[Int(next() % UInt64(items.count))] }
    mutating func chance(_ p: Double) -> Bool { Double(next() % 1_000_000) / 1_000_000 < p }

    mutating func ssn() -> String {
        if chance(badShare) { return "666-12-3456" }
        let area = int(1...665), group = int(1...99), serial = int(1...9999)
        switch int(0...2) {
        case 0: return String(format: "%03d-%02d-%04d", area, group, serial)
        case 1: return String(format: "%03d%02d%04d", area, group, serial)
        default: return String(format: "%d%02d%04d", area, group, serial) // Excel stripped the zeros
        }
    }

    mutating func phone(_ area: String) -> String {
        if chance(badShare) { return "555-1234" }
        let line = int(100...199)
        switch int(0...4) {
        case 0: return "(\(area)) 555-0\(line)"
        case 1: return "\(area).555.0\(line)"
        case 2: return "+1 \(area) 555 0\(line)"
        case 3: return "1-\(area)-555-0\(line)"
        default: return "\(area)5550\(line)"
        }
    }

    mutating func date(_ years: ClosedRange<Int>) -> String {
        if chance(badShare) { return "2/30/1971" }
        let y = int(years), m = int(1...12), d = int(1...28)
        switch int(0...4) {
        case 0: return "\(m)/\(d)/\(y)"
        case 1: return String(format: "%02d/%02d/%02d", m, d, y % 100)
        case 2: return String(format: "%04d-%02d-%02d", y, m, d)
        case 3: return String(excelSerial(y, m, d))
        default: return String(format: "\"%@, %02d %@ %04d 00:00:00 GMT\"", weekday(y, m, d), d, ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"][m - 1], y)
        }
    }

    mutating func money(_ cents: Int) -> String {
        if chance(badShare) { return messy && chance(0.5) ? "EUR 12.00" : "\"1.234,50\"" }
        let whole = cents / 100, fraction = cents % 100
        if messy && chance(0.2) {
            return chance(0.5) ? String(format: "USD %d.%02d", whole, fraction) : String(format: "%d.%02d usd", whole, fraction)
        }
        switch int(0...2) {
        case 0:
            var grouped = String(whole)
            var index = grouped.count - 3
            while index > 0 {
                grouped.insert(",", at: grouped.index(grouped.startIndex, offsetBy: index))
                index -= 3
            }
            return "\"$\(grouped).\(fraction < 10 ? "0" : "")\(fraction)\""
        case 1: return String(format: "%d.%02d", whole, fraction)
        default: return fraction == 0 ? "\(whole)" : String(format: "%d.%02d", whole, fraction)
        }
    }

    func daysFromCivil(_ y: Int, _ m: Int, _ d: Int) -> Int {
        let y2 = m <= 2 ? y - 1 : y
        let era = (y2 >= 0 ? y2 : y2 - 399) / 400
        let yoe = y2 - era * 400
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    func excelSerial(_ y: Int, _ m: Int, _ d: Int) -> Int { daysFromCivil(y, m, d) - daysFromCivil(1899, 12, 30) }
    func weekday(_ y: Int, _ m: Int, _ d: Int) -> String {
        ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"][((daysFromCivil(y, m, d) % 7) + 7) % 7]
    }

    /// Writes the file; returns its size in bytes.
    mutating func write(rows: Int, to path: String) throws -> Int {
        guard let file = fopen(path, "w") else { throw CocoaError(.fileWriteNoPermission) }
        defer { fclose(file) }
        var total = 0
        func emit(_ line: String) {
            total += line.utf8.count
            fputs(line, file)
        }
        emit(Self.header + "\r\n")
        for i in 0..<rows {
            let (city, state, zip, area) = pick(Self.cities)
            let balance = int(10_000...2_000_000)
            let interest = balance / 10
            var fields: [String] = []
            fields.reserveCapacity(30)
            fields.append("R\(3_000_000 + i)")
            fields.append(String(int(1_000_000_000...9_999_999_999)))
            // Messy: about two rows in three carry non-ASCII text somewhere.
            let accent = messy ? int(0...99) : 100
            fields.append(accent < 30 ? pick(Self.accentedFirstNames) : pick(Self.firstNames))
            fields.append(chance(0.3) ? "A" : "")
            fields.append(accent >= 30 && accent < 55 ? pick(Self.accentedLastNames) : pick(Self.lastNames))
            fields.append(ssn())
            fields.append(date(1940...2000))
            fields.append("\(int(1...9999)) \(pick(Self.streets))" + (accent >= 55 && accent < 62 ? " Nº 2" : ""))
            if messy && chance(0.05) {
                fields.append("\"APT \(int(1...40))\nREAR ENTRANCE\"")
            } else {
                fields.append(chance(0.2) ? "\"APT \(int(1...40)), REAR\"" : "")
            }
            fields.append(city)
            fields.append(chance(0.1) ? state.lowercased() : state)
            fields.append("\"\(zip)\"")
            fields.append(phone(area))
            fields.append(chance(0.6) ? phone(area) : "")
            fields.append(chance(0.3) ? phone(area) + (chance(0.1) ? " x12" : "") : "")
            fields.append("\(fields[2]).\(fields[4])\(int(10...99))@EXAMPLE.COM".replacingOccurrences(of: "'", with: ""))
            fields.append(messy && (accent >= 62 && accent < 66 || chance(0.02)) ? pick(Self.messyEmployers) : pick(Self.employers))
            fields.append("ACME BANK")
            fields.append(date(2005...2020))
            fields.append(date(2015...2024))
            fields.append(chance(0.5) ? date(2015...2024) : "")
            fields.append(money(int(1_000...30_000)))
            fields.append(money(balance))
            fields.append(money(balance))
            fields.append(money(interest))
            fields.append(chance(0.05) ? "(12.00)" : "0.00")
            fields.append(money(balance + interest))
            fields.append("11/1/2026")
            fields.append("ACME 2026-11")
            if messy && (accent >= 66 && accent < 68 || chance(0.06)) {
                fields.append(pick(Self.messyNotes))
            } else {
                fields.append(chance(0.1) ? "\"CALLS AFTER 5PM, SPANISH\"" : "")
            }
            emit(fields.joined(separator: ",") + "\r\n")
        }
        return total
    }
}
