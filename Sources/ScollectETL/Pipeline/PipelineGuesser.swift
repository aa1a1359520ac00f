import Foundation

/// Drafts a pipeline file from a sample of a data file: each column is recognised by its
/// header name (`DOB`, `Social Security #`, `Cell`) or, failing that, by the shape of its
/// values (SSN-like, phone-like, date-like, money); the draft maps what it recognised, sets
/// the normalisers, picks the writers, and lists the columns it left out, with a sample value.
public struct PipelineGuesser {
    public struct Column: Sendable {
        public let header: String
        public let field: String?
        public let normalizer: String?
        /// Why: `header` or `values`.
        public let evidence: String
        public let sample: String
    }

    /// Header words → Scollect field, compared on letters and digits only, lower case.
    static let fieldsByHeader: [(field: String, names: [String])] = [
        ("filenumber", ["accountnumber", "account", "acct", "acctno", "accountno", "filenumber", "fileno", "file", "debtorid", "placementid", "lotno"]),
        ("accountnumber", ["clientref", "clientreference", "clientaccount", "clientaccountnumber", "creditoraccount", "originalaccount", "originalaccountnumber"]),
        ("firstname", ["firstname", "first", "fname", "givenname"]),
        ("middlename", ["middlename", "middle", "mname", "middleinitial"]),
        ("lastname", ["lastname", "last", "lname", "surname", "familyname"]),
        ("socialsecuritynumber", ["ssn", "socialsecurity", "socialsecuritynumber", "socsec", "ssnumber", "taxid"]),
        ("birthdate", ["dob", "birthdate", "dateofbirth", "birthday"]),
        ("address", ["address", "address1", "addressline1", "street", "streetaddress", "mmaddress"]),
        ("address2", ["address2", "addressline2", "apt", "unit", "suite"]),
        ("city", ["city", "town"]),
        ("state", ["state", "st", "province"]),
        ("zip", ["zip", "zipcode", "postalcode", "postcode"]),
        ("home_phone", ["homephone", "phone", "phonenumber", "telephone", "home"]),
        ("cell_phone", ["cellphone", "cell", "mobile", "mobilephone"]),
        ("work_phone", ["workphone", "work", "businessphone", "officephone"]),
        ("emailaddress", ["email", "emailaddress", "mail"]),
        ("employer", ["employer", "employername", "company"]),
        ("originalcreditor", ["originalcreditor", "creditor", "origcreditor"]),
        ("dateaccountopened", ["opendate", "dateopened", "dateaccountopened", "accountopened", "opened"]),
        ("datechargedoff", ["chargeoffdate", "chargedoffdate", "datechargedoff", "codate", "chargedoff", "chargeoff"]),
        ("lastpaymentdate", ["lastpaymentdate", "lastpaydate", "dateoflastpayment", "lastpayment"]),
        ("lastpaymentamount", ["lastpaymentamount", "lastpayamount", "lastpayment"]),
        ("originalbalance", ["originalbalance", "origbalance", "chargeoffbalance"]),
        ("principal", ["principal", "principalbalance"]),
        ("accruedinterest", ["interest", "accruedinterest", "interestbalance"]),
        ("miscfees", ["fees", "miscfees", "feebalance"]),
        ("currentbalance", ["currentbalance", "balance", "balancedue", "amountdue", "totalbalance"]),
        ("dateplaced", ["placementdate", "dateplaced", "placeddate", "placed"]),
        // Payment files.
        ("paymentdate", ["paymentdate", "paydate", "datepaid", "installmentdate"]),
        ("paymentamount", ["amount", "paymentamount", "payamount", "installmentamount"]),
        ("payorname", ["payor", "payorname", "payer", "payername"]),
        ("paymentmethod", ["method", "paymentmethod", "paymenttype"]),
        ("cardtype", ["cardtype"]),
        ("cardnumber", ["cardnumber", "card", "cardno", "pan", "creditcard"]),
        ("threedigitnumber", ["cvv", "cvc", "cvv2", "securitycode", "threedigitnumber"]),
        ("cardexpirationdate", ["exp", "expiry", "expiration", "expirationdate", "cardexpirationdate", "expdate"]),
        ("checkaccountnumber", ["bankaccount", "bankaccountnumber", "checkaccountnumber", "achaccount"]),
        ("checkroutingnumber", ["routing", "routingnumber", "aba", "checkroutingnumber"]),
        ("checkaccounttype", ["accounttype", "checkaccounttype"]),
        ("invoice", ["reference", "invoice", "paymentreference", "ref", "planref", "paymentid"]),
        ("acceptedfees", ["feesaccepted", "acceptedfees"]),
    ]

    static let normalizerByField: [String: String] = [
        "socialsecuritynumber": "ssn", "birthdate": "date", "state": "upper",
        "home_phone": "phone", "cell_phone": "phone", "work_phone": "phone",
        "dateaccountopened": "date", "datechargedoff": "date", "lastpaymentdate": "date", "dateplaced": "date",
        "lastpaymentamount": "money", "originalbalance": "money", "principal": "money", "accruedinterest": "money",
        "miscfees": "money", "currentbalance": "money", "paymentdate": "date", "paymentamount": "money",
    ]

    static let paymentFields: Set<String> = ["paymentdate", "paymentamount", "payorname", "cardnumber", "checkaccountnumber"]

    public let columns: [Column]

    /// - Parameter rows: the first rows of the file, values aligned with `header`.
    public init(header: [String], rows: [[String]]) {
        var used = Set<String>()
        var columns: [Column] = []
        for (index, name) in header.enumerated() {
            let values = rows.map { index < $0.count ? $0[index].trimmingCharacters(in: .whitespaces) : "" }.filter { !$0.isEmpty }
            let sample = values.first ?? ""
            // A JSON or XML path is recognised by its whole name, its last part, or its last two.
            let parts = name.split(whereSeparator: { $0 == "." || $0 == "/" }).map(String.init).filter { Int($0) == nil }
            let keys = [name, parts.last ?? name, parts.suffix(2).joined()].map(RowMapper.columnKey)
            let candidates = keys.flatMap { key in
                PipelineGuesser.fieldsByHeader.filter { $0.names.contains(key) && !used.contains($0.field) }.map(\.field)
            }
            // `Last Payment` could be a date or an amount: the values decide.
            let valueShape = PipelineGuesser.shape(of: values)
            var field = candidates.first { candidate in
                switch PipelineGuesser.normalizerByField[candidate] {
                case "date": return valueShape != "money"
                case "money": return valueShape != "date"
                default: return true
                }
            } ?? candidates.first
            var evidence = "header"
            if field == nil, let shape = valueShape {
                evidence = "values"
                switch shape {
                case "ssn": field = used.contains("socialsecuritynumber") ? nil : "socialsecuritynumber"
                case "phone": field = ["home_phone", "cell_phone", "work_phone"].first { !used.contains($0) }
                default: field = nil // a date or an amount alone does not say which field it is
                }
            }
            if let field { used.insert(field) }
            let normalizer = field.flatMap { PipelineGuesser.normalizerByField[$0] }
            columns.append(Column(header: name, field: field, normalizer: normalizer, evidence: evidence, sample: sample))
        }
        // Every pipeline needs the account key: failing a header that says so, the first column
        // whose name suggests an identifier and whose sampled values are all distinct.
        if !columns.contains(where: { $0.field == "filenumber" }) {
            let hints = ["account", "acct", "number", "file", "id", "ref"]
            let pick = columns.indices.first { index in
                let column = columns[index]
                let key = RowMapper.columnKey(column.header)
                let values = rows.map { index < $0.count ? $0[index] : "" }
                return column.field == nil && hints.contains { key.contains($0) } && !values.contains("") && Set(values).count == values.count
            } ?? columns.indices.first { columns[$0].field == nil }
            if let pick {
                let column = columns[pick]
                columns[pick] = Column(header: column.header, field: "filenumber", normalizer: nil, evidence: "guess", sample: column.sample)
            }
        }
        self.columns = columns
    }

    /// The shape most values share (at least 80% of the non-blank ones): ssn, phone, date, money.
    static func shape(of values: [String]) -> String? {
        guard !values.isEmpty else { return nil }
        let checks: [(String, (String) -> Bool)] = [
            ("ssn", { $0.range(of: #"^\d{3}-\d{2}-\d{4}$"#, options: .regularExpression) != nil }),
            ("phone", { value in
                value.range(of: #"^(\+?1[ .-]?)?\(?\d{3}\)?[ .-]?\d{3}[ .-]?\d{4}( ?(x|ext\.?) ?\d+)?$"#, options: .regularExpression) != nil }),
            ("date", { value in
                if case .value = DateNormalizer().normalize(value), value.range(of: #"[/\-, ]"#, options: .regularExpression) != nil { return true }
                return false }),
            ("money", { $0.range(of: #"^\(?-?\$?[\d,]+\.\d{2}\)?$"#, options: .regularExpression) != nil }),
        ]
        for (name, check) in checks where Double(values.filter(check).count) >= 0.8 * Double(values.count) { return name }
        return nil
    }

    /// The draft pipeline file.
    /// - Parameters:
    ///   - sourcePath: the data file as the pipeline should name it (relative to the pipeline file, or absolute).
    ///   - reader: the reader's name; `record` for XML.
    /// `reportsFolder`: as the pipeline file will name it (default `reports/<name>`, beside it).
    public func pipelineText(name: String, sourcePath: String, reader: String, record: String? = nil, requestsPerSecond: Int = 20,
                             reportsFolder: String? = nil) -> String {
        let mapped = columns.filter { $0.field != nil }
        let fields = Set(mapped.compactMap(\.field))
        let payments = !fields.isDisjoint(with: PipelineGuesser.paymentFields) && fields.contains("paymentamount")
        var lines = [
            "# Drafted by `scollect-etl guess` from \(PipelineGuesser.yamlScalar(URL(fileURLWithPath: sourcePath).lastPathComponent)): check the mapping, then run it.",
            "# Credentials never go here: SCOLLECT_URL / SCOLLECT_APIKEY / SCOLLECT_PIN come from the environment.",
            "",
            "name: \(PipelineGuesser.yamlScalar(name))",
            "",
            "source:",
            "  file: \(PipelineGuesser.yamlScalar(sourcePath))",
            "  reader: \(reader)",
        ]
        if let record { lines.append("  record: \(PipelineGuesser.yamlScalar(record))") }
        lines += ["", "# Scollect field: column in the file (recognised by its header or by its values)", "mapping:"]
        let width = mapped.map { $0.field!.count }.max() ?? 0
        for column in mapped {
            let padding = String(repeating: " ", count: width - column.field!.count)
            let why: String
            switch column.evidence {
            case "values": why = "   # recognised by its values, e.g. \(PipelineGuesser.yamlScalar(PipelineGuesser.masked(column)))"
            case "guess": why = "   # CHECK: taken as the account key (no header says so), e.g. \(PipelineGuesser.yamlScalar(PipelineGuesser.masked(column)))"
            default: why = ""
            }
            lines.append("  \(column.field!):\(padding) \(PipelineGuesser.yamlScalar(column.header))\(why)")
        }
        let unmapped = columns.filter { $0.field == nil }
        if !unmapped.isEmpty {
            lines.append("  # not recognised (map them by hand if they matter):")
            for column in unmapped { lines.append("  #   \(PipelineGuesser.yamlScalar(column.header))  e.g. \(PipelineGuesser.yamlScalar(PipelineGuesser.masked(column)))") }
        }
        let normalized = mapped.filter { $0.normalizer != nil }
        if !normalized.isEmpty {
            lines += ["", "# A value that cannot be cleaned rejects its row.", "normalize:"]
            for column in normalized { lines.append("  \(column.field!): \(column.normalizer!)") }
        }
        lines += ["", "writers:"]
        if payments {
            lines += ["  - insert_payments_external:", "      reference: \(fields.contains("invoice") ? "invoice" : "none")",
                      "      defaults:", "        paymentstatus: POSTED", "        typeofpayment: EXTERNAL"]
            if !fields.contains("paymentmethod") { lines.append("        paymentmethod: OTHER") }
            if !fields.contains("payorname") { lines.append("        payorname: UNKNOWN") }
        } else {
            lines.append("  - updatedbase:")
            let phones = [("home_phone", "HOME"), ("cell_phone", "CELL"), ("work_phone", "WORK")].filter { fields.contains($0.0) }
            if !phones.isEmpty {
                lines += ["  - insertphone:", "      phones:"]
                for (field, type) in phones { lines.append("        - { field: \(field), type: \(type) }") }
            }
        }
        lines += ["", "target:", "  url: sandbox                 # the embedded sandbox; SCOLLECT_URL overrides it",
                  "  requests_per_second: \(requestsPerSecond)       # what the server allows you", "  max_in_flight: 4", "", "reports:", "  folder: \(PipelineGuesser.yamlScalar(reportsFolder ?? "reports/" + name))", ""]
        return lines.joined(separator: "\n")
    }

    /// A sample as a comment may show it: card numbers and SSNs masked.
    static func masked(_ column: Column) -> String {
        switch column.field {
        case "cardnumber": return Masking.maskCard(column.sample)
        case "threedigitnumber": return "***"
        case "socialsecuritynumber": return Masking.maskSSN(column.sample)
        default: return Masking.maskCardNumbers(in: Masking.maskSSNs(in: column.sample))
        }
    }

    /// A YAML plain scalar when safe, else double-quoted with every character that could end
    /// the line or the scalar escaped. Headers and samples come from a creditor's file: written
    /// this way they stay one value on one line, in a mapping entry and in a comment alike.
    static func yamlScalar(_ text: String) -> String {
        let plainSafe = !text.isEmpty && text.range(of: #"^[A-Za-z0-9_./][A-Za-z0-9 _./()-]*$"#, options: .regularExpression) != nil
            && !text.hasSuffix(" ") && !["true", "false", "null", "yes", "no", "on", "off", "y", "n"].contains(text.lowercased())
        if plainSafe { return text }
        var quoted = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\": quoted += "\\\\"
            case "\"": quoted += "\\\""
            case "\n": quoted += "\\n"
            case "\r": quoted += "\\r"
            case "\t": quoted += "\\t"
            default:
                let value = scalar.value
                // C0, DEL, C1 (NEL among them), the line and paragraph separators, a BOM.
                if value < 0x20 || (0x7F...0x9F).contains(value) || value == 0x2028 || value == 0x2029 || value == 0xFEFF {
                    quoted += value <= 0xFF ? "\\x" + hex(value, digits: 2) : "\\u" + hex(value, digits: 4)
                } else {
                    quoted.unicodeScalars.append(scalar)
                }
            }
        }
        return quoted + "\""
    }

    private static func hex(_ value: UInt32, digits: Int) -> String {
        let text = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, digits - text.count)) + text
    }

    /// The element that repeats as a record in an XML file: the shallowest element name that
    /// occurs more than once among the first 64 KiB's tags, as a path from the root.
    public static func guessRecordElement(xmlPrefix bytes: [UInt8]) -> String? {
        let text = String(decoding: bytes, as: UTF8.self)
        var stack: [String] = []
        var counts: [String: Int] = [:]
        var order: [String] = []
        let pattern = try! NSRegularExpression(pattern: #"<(/?)([A-Za-z_][\w.\-]*:)?([A-Za-z_][\w.\-]*)[^>]*?(/?)>"#)
        for match in pattern.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
            let closing = match.range(at: 1).length > 0
            let name = String(text[Range(match.range(at: 3), in: text)!])
            let selfClosing = match.range(at: 4).length > 0
            if closing {
                if let last = stack.lastIndex(of: name) { stack.removeSubrange(last...) }
                continue
            }
            let path = (stack + [name]).joined(separator: "/")
            if counts[path] == nil { order.append(path) }
            counts[path, default: 0] += 1
            if !selfClosing { stack.append(name) }
        }
        return order.filter { counts[$0]! > 1 }.min { $0.split(separator: "/").count < $1.split(separator: "/").count }
    }
}
