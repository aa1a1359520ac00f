/// The document's "Valid Account Permission Fields" and the data type of each: the only names
/// `updatepermissions` accepts, and what each value must look like.
public enum PermissionFields {
    public enum DataType: String, Sendable {
        case flag = "1 or 0"
        case text = "text"
        case date = "a date (yyyy-mm-dd)"
        case phone = "a phone number (###-###-####)"
        case decimal = "a decimal number (e.g. 500.00)"
        case number = "a whole number"
    }

    public static let types: [String: DataType] = [
        "callspouse": .flag, "callwork": .text, "cantext": .flag, "canemail": .flag, "addresscorrect": .text,
        "dateofnotice": .date, "cont_debtor": .flag, "last_cont_date": .date, "lastcontactagent": .text,
        "call_campaign": .text, "firstcontact": .date, "firstcontactagent": .text, "verifiedaddress": .flag,
        "nextletter": .date, "nexttext": .date, "nextemail": .date, "hotnotes": .text, "textphone": .phone,
        "cancallcell": .flag, "donot1099": .flag, "donottext": .flag, "donotemail": .flag, "sifamount": .decimal,
        "sifstartdate": .date, "sifcompletedate": .date, "sifnumberofpay": .number, "registeredportal": .flag,
        "lastportallogin": .date, "lastopenedemail": .date, "lastclickdate": .date, "openedcount": .number,
        "linkclickcount": .number, "sentcount": .number, "minimumpayment": .decimal, "minimumonetimepayment": .decimal,
    ]

    public static var names: [String] { types.keys.sorted() }

    /// The value as sent (`true`/`yes`/`y` → `1` for a flag), or nil when it is not of the type.
    public static func sendable(_ value: String, as type: DataType) -> String? {
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        switch type {
        case .flag:
            switch trimmed.lowercased() {
            case "1", "true", "yes", "y": return "1"
            case "0", "false", "no", "n": return "0"
            default: return nil
            }
        case .text: return trimmed.isEmpty ? nil : trimmed
        case .date: return ValueFormats.isDay(trimmed) ? trimmed : nil
        case .phone: return ValueFormats.isPhone(trimmed) ? trimmed : nil
        case .decimal: return trimmed.wholeMatch(of: #/[0-9]{1,12}(\.[0-9]{1,2})?/#) != nil ? trimmed : nil
        case .number: return trimmed.wholeMatch(of: #/[0-9]{1,9}/#) != nil ? trimmed : nil
        }
    }
}
