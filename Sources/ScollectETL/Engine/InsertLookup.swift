import Foundation

/// How an insert whose answer was lost is looked for on the server before it is sent again:
/// the read that shows whether it is there. An insert without such a read is never re-sent.
enum InsertLookup {
    /// `insertphone`: the number among `getphones`.
    case phone(digits: String)

    init?(_ planned: PlannedCall) {
        guard !planned.call.idempotent else { return nil }
        switch planned.effect {
        case let .addPhone(digits): self = .phone(digits: digits)
        default: return nil
        }
    }

    /// Whether the account holds it now; nil when that cannot be read.
    func isPresent(on filenumber: String, client: ScollectClient, http: any HTTPTransport) throws -> Bool? {
        switch self {
        case let .phone(digits):
            let result = try client.perform(APIPath.accountRead("getphones", filenumber), using: http)
            switch result.classification {
            case .success:
                return result.phones.contains { $0.digits == digits }
            case .emptyResult:
                return false
            case let .errorInBody(message, _) where ResponseClass.meansNoPhones(message):
                return false
            default:
                return nil
            }
        }
    }
}
