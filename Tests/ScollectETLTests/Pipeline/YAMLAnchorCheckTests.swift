import Foundation
@testable import ScollectETL
import ScollectTestSupport
import Testing

/// Anchors and aliases are refused before the YAML is composed: an alias used as a mapping key
/// over a tree of aliases made `validate` hang.
struct YAMLAnchorCheckTests {
    /// Nine levels of nine aliases each: 9^9 nodes once expanded, hashed as a mapping key.
    static let aliasBomb: String = {
        var lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
        for level in 1...9 {
            lines.append("a\(level): &a\(level) [" + Array(repeating: "*a\(level - 1)", count: 9).joined(separator: ", ") + "]")
        }
        lines += ["mapping:", "  ? *a9", "  : Account"]
        return lines.joined(separator: "\n") + "\n"
    }()

    @Test(.timeLimit(.minutes(1)))
    func anAliasUsedAsAKeyIsRefusedAtOnceWithItsPlace() throws {
        let error = #expect(throws: PipelineError.self) { try PipelineLoader.parse(Self.aliasBomb, file: "/p/bomb.yml") }
        #expect(error?.line == 1, "the first anchor, on line 1: \(String(describing: error))")
        #expect(error?.description.contains("anchors and aliases are not allowed") == true)
        // `validate` first asks whether the file is an export pipeline: that must not compose it either.
        let file = try makeTemporaryDirectory("anchors") + "/bomb.yml"
        try Self.aliasBomb.write(toFile: file, atomically: true, encoding: .utf8)
        #expect(!ExportPipelineLoader.isExportPipeline(path: file))
        #expect(throws: PipelineError.self) { try ExportPipelineLoader.load(path: file) }
    }

    @Test func anchorsAndAliasesAnywhereAreRefusedAndPlainFilesPass() throws {
        let aliased = PipelineLoaderTests.valid.replacingOccurrences(of: "  requests_per_second: 10", with: "  requests_per_second: &rate 10\n  max_in_flight: *rate")
        let error = #expect(throws: PipelineError.self) { try PipelineLoader.parse(aliased, file: "p.yml") }
        #expect(error?.description.contains("YAML anchor \"&rate\"") == true, "\(String(describing: error))")
        #expect(YAMLAnchorCheck.firstAnchorOrAlias(in: "a: *missing") == .init(kind: "alias", name: "missing", line: 1, column: 4))
        // A `&` or `*` inside a quoted or plain value is text, not an anchor.
        #expect(YAMLAnchorCheck.firstAnchorOrAlias(in: "a: \"&x *y\"\nb: R&D *\n# &c *d\n") == nil)
        _ = try PipelineLoader.parse(PipelineLoaderTests.valid, file: "p.yml")
    }
}
