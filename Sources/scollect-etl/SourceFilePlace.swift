import Foundation
import ScollectETL
import Yams

/// Where a pipeline file names its input (`source.file`), as `file:line:column`, so that a
/// problem with the input itself (missing, unreadable) points at the line to fix.
enum SourceFilePlace {
    /// `pipeline.yml:4:9`, or the file alone when the line cannot be found (an inherited source).
    static func of(pipeline: String) -> String {
        guard let text = try? String(contentsOfFile: pipeline, encoding: .utf8),
              let root = try? Yams.compose(yaml: text),
              let node = root["source"]?["file"], let mark = node.mark else { return pipeline }
        return "\(pipeline):\(mark.line):\(mark.column)"
    }

    /// A problem opening the input, with its place: the pipeline's source.file line, or --input.
    static func describe(_ error: Error, pipeline: String, input: String?) -> String {
        let message = "\(error)"
        if input != nil { return "--input: " + message }
        return "\(of(pipeline: pipeline)): source.file: " + message
    }
}
