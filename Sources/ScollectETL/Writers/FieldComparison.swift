/// Whether two values of a dbase field mean the same: both empty (in any of the API's
/// spellings), or equal once put through the field's normaliser (`10/18/1965` = `1965-10-18`,
/// `$809.00` = `809.00`). Used to skip writes that change nothing and by rollback to tell
/// whether someone changed a field since the run.
public enum FieldComparison {
    public static func same(_ a: String?, _ b: String?, normalizer: (any Normalizer)?) -> Bool {
        let aEmpty = AccountSnapshot.isEmptyValue(a)
        let bEmpty = AccountSnapshot.isEmptyValue(b)
        guard !aEmpty, !bEmpty, let a, let b else { return aEmpty && bEmpty }
        if let normalizer, case let .value(left, _) = normalizer.normalize(a), case let .value(right, _) = normalizer.normalize(b) {
            return left == right
        }
        return a.trimmingCharacters(in: .whitespaces) == b.trimmingCharacters(in: .whitespaces)
    }
}
