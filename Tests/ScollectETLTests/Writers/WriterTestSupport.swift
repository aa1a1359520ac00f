@testable import ScollectETL

/// Builds a pipeline's writers from a `writers:` section over the given mapped fields.
enum WriterFixture {
    static func writers(mapping: [String], normalize: String = "{}", protect: String = "", _ writers: String) throws -> [any APIWriter] {
        let mappingText = mapping.enumerated().map { "\($0.element): C\($0.offset)" }.joined(separator: ", ")
        let text = """
        source: { file: in.csv }
        mapping: { filenumber: A, \(mappingText) }
        normalize: \(normalize)
        \(protect)
        writers:
        \(writers)
        target: { url: sandbox, requests_per_second: 10 }
        reports: { folder: out }
        """
        return try PipelineLoader.parse(text, file: "p.yml").writers
    }

    static func row(_ values: [String: String], filenumber: String = "R1") -> NormalizedRow {
        NormalizedRow(record: SourceRecord(row: 1, line: 2, values: []), filenumber: filenumber,
                      values: values.mapValues { $0 == "<CLEAR>" ? FieldValue.clear : .value($0) }, warnings: [])
    }

    static func loadError(mapping: [String], _ writers: String) -> String? {
        do {
            _ = try self.writers(mapping: mapping, writers)
            return nil
        } catch {
            return "\(error)"
        }
    }
}
