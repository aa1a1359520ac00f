/// A writer's `fields: [...]` option: each name must be one the endpoint takes (else an error
/// with a "did you mean") and mapped to a source column. Without the option, the writer takes
/// every mapped field it can, less those another writer consumes.
struct FieldListOption {
    let writer: String
    /// Every field the endpoint takes, for the "did you mean".
    let known: [String]
    /// What the endpoint's fields are called in an error: "a dbase field".
    let kind: String
    /// A further refusal for a known field (a read-only one), or nil.
    var refusal: (String) -> String? = { _ in nil }

    func fields(_ options: ConfigSection, context: WriterContext, otherWriterFields: Set<String>) throws -> [String] {
        let knownSet = Set(known)
        guard let list = options["fields"] else {
            return context.mappedFields.filter { knownSet.contains($0) && refusal($0) == nil && !otherWriterFields.contains($0) }
        }
        var chosen: [String] = []
        for (index, item) in try list.list().enumerated() {
            let field = try item.string()
            let here = ConfigNode(node: item.node, file: item.file, path: "\(list.path)[\(index)]")
            guard knownSet.contains(field) else {
                let hint = closestMatch(to: field, in: known).map { " — did you mean \"\($0)\"?" } ?? ""
                throw here.error("\(writer): \"\(field)\" is not \(kind)\(hint)")
            }
            if let refused = refusal(field) { throw here.error("\(writer): \"\(field)\" \(refused)") }
            guard context.mappedFields.contains(field) else { throw here.error("\(writer): \"\(field)\" is not in the mapping; map it to a source column first") }
            chosen.append(field)
        }
        return chosen
    }
}
