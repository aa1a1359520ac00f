import CYaml

/// Pipeline files may not use YAML anchors (`&name`) or aliases (`*name`). The composer copies
/// an alias's node wherever it is used, so a few lines can stand for an exponential tree (and an
/// alias used as a mapping key made `validate` hang hashing it); nothing a pipeline needs is
/// lost by writing the values out. The text is scanned token by token (linear, nothing is
/// expanded) before it is composed.
enum YAMLAnchorCheck {
    struct Finding: Equatable {
        /// `anchor` or `alias`.
        let kind: String
        let name: String
        /// 1-based, as editors count.
        let line: Int
        let column: Int
    }

    /// The first anchor or alias in `text`; nil when there is none (or when the text does not
    /// scan: the composer then reports the syntax error with its place).
    static func firstAnchorOrAlias(in text: String) -> Finding? {
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else { return nil }
        defer { yaml_parser_delete(&parser) }
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBufferPointer { buffer -> Finding? in
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
            var token = yaml_token_t()
            while yaml_parser_scan(&parser, &token) == 1 {
                let type = token.type
                var finding: Finding?
                if type == YAML_ANCHOR_TOKEN || type == YAML_ALIAS_TOKEN {
                    let value = type == YAML_ANCHOR_TOKEN ? token.data.anchor.value : token.data.alias.value
                    finding = Finding(kind: type == YAML_ANCHOR_TOKEN ? "anchor" : "alias",
                                      name: value.map { String(cString: $0) } ?? "",
                                      line: Int(token.start_mark.line) + 1, column: Int(token.start_mark.column) + 1)
                }
                yaml_token_delete(&token)
                if let finding { return finding }
                if type == YAML_STREAM_END_TOKEN || type == YAML_NO_TOKEN { return nil }
            }
            return nil
        }
    }

    /// Throws a `PipelineError` naming the first anchor or alias.
    static func refuseAnchorsAndAliases(in text: String, file: String) throws {
        guard let found = firstAnchorOrAlias(in: text) else { return }
        let written = found.kind == "anchor" ? "&\(found.name)" : "*\(found.name)"
        throw PipelineError(file: file, line: found.line, column: found.column,
                            "YAML \(found.kind) \"\(written)\": anchors and aliases are not allowed in pipeline files; write the value out where it is needed")
    }
}
