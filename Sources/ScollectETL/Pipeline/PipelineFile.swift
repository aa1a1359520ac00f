import Foundation

/// A pipeline file, told apart once: a load pipeline (a file into Scollect) or an export
/// pipeline (`source: { scollect: … }`, Scollect into a file).
public enum PipelineFile {
    case load(PipelineConfig)
    case export(ExportPipelineConfig)

    public enum Kind: Sendable { case load, export }

    /// From the file's `source` section. A file that cannot be read or parsed is a load
    /// pipeline: its loader then says what is wrong with it.
    public static func kind(path: String) -> Kind {
        ExportPipelineLoader.isExportPipeline(path: path) ? .export : .load
    }

    public static func load(path: String) throws -> PipelineFile {
        switch kind(path: path) {
        case .export: return .export(try ExportPipelineLoader.load(path: path))
        case .load: return .load(try PipelineLoader.load(path: path))
        }
    }
}
