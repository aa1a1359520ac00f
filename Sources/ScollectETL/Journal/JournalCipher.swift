import Crypto
import Foundation

/// How a change record keeps the values of a sensitive field (`FieldSensitivity`), so that the
/// journal never holds an SSN, a bank account or card data in clear:
///
/// - with a key (`JournalKey`): SSN and bank account values are sealed with AES-GCM (a fresh
///   nonce each, the account and field as authenticated data: a value moved to another row
///   does not open); rollback can restore them;
/// - without a key: the previous value is not kept and the new one is masked; rollback says
///   it cannot restore the field;
/// - card data and CVVs are never kept, key or not.
public struct JournalCipher: Sendable {
    /// `changes.protection`: how the row's values are stored.
    public enum Protection: String, Sendable {
        /// An ordinary field: in clear.
        case none
        case sealed = "aes-gcm"
        /// The previous value is not kept, the new one is masked.
        case withheld
    }

    static let prefix = "aesgcm1:"
    let key: JournalKey?

    public init(key: JournalKey?) { self.key = key }

    /// The values to store for a change of `field` (nil: an insert, stored as its masked description).
    func protect(field: String?, filenumber: String, previous: String?, newValue: String) throws -> (Protection, String?, String) {
        guard let field else { return (.none, previous, Masking.maskFreeText(newValue)) }
        let sensitivity = FieldSensitivity.of(field: field)
        switch sensitivity {
        case .ordinary:
            return (.none, previous, newValue)
        case .ssn, .bankAccount:
            if let key {
                let aad = JournalCipher.associatedData(filenumber: filenumber, field: field)
                return (.sealed, try previous.map { try JournalCipher.seal($0, key: key, aad: aad) }, try JournalCipher.seal(newValue, key: key, aad: aad))
            }
            return (.withheld, nil, sensitivity.masked(newValue))
        case .secret, .cardNumber:
            return (.withheld, nil, sensitivity.masked(newValue))
        }
    }

    /// The stored values back in clear; `withheld` when they cannot be (not kept, or sealed
    /// and no key, or the wrong key).
    func reveal(protection: Protection, field: String?, filenumber: String, previous: String?, newValue: String)
        -> (previous: String?, newValue: String, withheld: Bool) {
        switch protection {
        case .none: return (previous, newValue, false)
        case .withheld: return (nil, newValue, true)
        case .sealed:
            let sensitivity = FieldSensitivity.of(field: field ?? "")
            let aad = JournalCipher.associatedData(filenumber: filenumber, field: field ?? "")
            guard let key, let opened = try? JournalCipher.open(newValue, key: key, aad: aad) else {
                return (nil, "(encrypted)", true)
            }
            guard let previous else { return (nil, opened, false) }
            guard let openedPrevious = try? JournalCipher.open(previous, key: key, aad: aad) else { return (nil, sensitivity.masked(opened), true) }
            return (openedPrevious, opened, false)
        }
    }

    static func associatedData(filenumber: String, field: String) -> Data {
        Data("\(filenumber.uppercased())\u{1F}\(field.lowercased())".utf8)
    }

    static func seal(_ value: String, key: JournalKey, aad: Data) throws -> String {
        let box = try AES.GCM.seal(Data(value.utf8), using: key.key, authenticating: aad)
        guard let combined = box.combined else { throw JournalError("cannot encrypt a journal value") }
        return prefix + combined.base64EncodedString()
    }

    static func open(_ text: String, key: JournalKey, aad: Data) throws -> String {
        guard text.hasPrefix(prefix), let data = Data(base64Encoded: String(text.dropFirst(prefix.count))) else {
            throw JournalError("not an encrypted journal value")
        }
        let box = try AES.GCM.SealedBox(combined: data)
        return String(decoding: try AES.GCM.open(box, using: key.key, authenticating: aad), as: UTF8.self)
    }
}

extension JournalCipher {
    /// What rollback says of a field whose previous value the journal withheld.
    public static func cannotRestore(field: String) -> String {
        "cannot restore \(field): its previous value is sensitive and the journal did not keep it (no \(JournalKey.environmentVariable) when the run was made) or cannot open it (no key, or another key, now); put it back by hand"
    }
}
