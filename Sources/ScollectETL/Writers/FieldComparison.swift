/// Whether two values of a dbase field mean the same: both empty (in any of the API's
/// spellings, placeholders included: `000-00-0000`, `0000-00-00 00:00:00`, the 1900 / 1899
/// sentinel dates), or equal once read in the server's styles (`3/6/2013` = `2013-03-06` =
/// `Wed, 06 Mar 2013 00:00:00 GMT`, ` 4,000` = `4000.00`). Both values are in the API's styles:
/// a file's value has already been through the field's normaliser (with the file's options,
/// `day_first` included); the server's is read with `ServerValues.reader`, never with the
/// file's options. Used to skip writes that change nothing and by rollback to tell whether
/// someone changed a field since the run.
public enum FieldComparison {
    public static func same(_ a: String?, _ b: String?, normalizer: (any Normalizer)?) -> Bool {
        same(a, b, serverReader: normalizer.map { ServerValues.reader(for: $0) })
    }

    /// The same with the server's reader already chosen (a writer picks it once per field).
    public static func same(_ a: String?, _ b: String?, serverReader reader: (any Normalizer)?) -> Bool {
        let aEmpty = ServerValues.isEmpty(a)
        let bEmpty = ServerValues.isEmpty(b)
        guard !aEmpty, !bEmpty, let a, let b else { return aEmpty && bEmpty }
        if let reader, case let .value(left, _) = reader.normalize(a), case let .value(right, _) = reader.normalize(b) {
            return left == right
        }
        return a.trimmingSpaces() == b.trimmingSpaces()
    }
}
