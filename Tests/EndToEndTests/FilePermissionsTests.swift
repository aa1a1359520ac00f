import Foundation
import ScollectETL
import ScollectSandbox
import ScollectTestSupport
import Testing

/// Files that hold debtors' data are created 0600 and folders 0700 by the system call that
/// makes them — never created with the umask's mode and narrowed after. `strace` (installed by
/// `Scripts/setup.sh`) records the command line's file system calls: a placement with an
/// acknowledgement folder, archive and error folders and `--summary-json` on the embedded
/// sandbox, a held file whose `on_failure` gets a temporary summary, and an export.
@Suite(.serialized)
struct FilePermissionsTests {
    struct Call {
        let name: String
        /// The path, or `fd:N` for fchmod.
        let path: String
        let flags: String
        let mode: Int?
    }

    /// One strace line: `openat(AT_FDCWD, "/x/y", O_WRONLY|O_CREAT|O_TRUNC, 0600) = 3`,
    /// `mkdir("/x", 0700) = 0`, `chmod("/x", 0600) = 0`, `fchmod(3, 0644) = 0`.
    static func call(_ line: Substring) -> Call? {
        guard let open = line.firstIndex(of: "("), let close = line.range(of: ") = ", options: .backwards) else { return nil }
        let name = String(line[..<open])
        var args = line[line.index(after: open)..<close.lowerBound].components(separatedBy: ", ")
        if ["openat", "mkdirat", "fchmodat"].contains(name) { args.removeFirst() }
        func unquoted(_ text: String) -> String { text.hasPrefix("\"") && text.hasSuffix("\"") ? String(text.dropFirst().dropLast()) : text }
        let mode = args.last.flatMap { $0.hasPrefix("0") ? Int($0, radix: 8) : nil }
        switch name {
        case "open", "openat":
            return Call(name: name, path: unquoted(args[0]), flags: args.count > 1 ? args[1] : "", mode: args.count > 2 ? mode : nil)
        case "creat", "mkdir", "mkdirat", "chmod", "fchmodat":
            return Call(name: name, path: unquoted(args[0]), flags: name == "creat" ? "O_CREAT" : "", mode: mode)
        case "fchmod":
            return Call(name: name, path: "fd:" + args[0], flags: "", mode: mode)
        default:
            return nil
        }
    }

    /// The calls of every process and thread (`strace -ff` writes one file each: no line is
    /// split between two threads).
    static func calls(traces prefix: String) throws -> [Call] {
        let folder = URL(fileURLWithPath: prefix).deletingLastPathComponent().path
        let name = URL(fileURLWithPath: prefix).lastPathComponent + "."
        return try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasPrefix(name) }.flatMap { file in
            try String(contentsOfFile: folder + "/" + file, encoding: .utf8).split(separator: "\n").compactMap(call)
        }
    }

    func traced(_ arguments: [String], environment: [String: String], in folder: String, trace: String) throws -> CommandLineTests.Outcome {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/strace") else {
            Issue.record("strace is needed (Scripts/setup.sh installs it)")
            return CommandLineTests.Outcome(status: -1, stdout: "", stderr: "")
        }
        return try CommandLineTests().run(["-ff", "-qq", "-e", "trace=open,openat,creat,mkdir,mkdirat,chmod,fchmod,fchmodat", "-o", trace,
                                           CommandLineTests.executable] + arguments, environment: environment, in: folder, executable: "/usr/bin/strace")
    }

    @Test func summariesReportsFoldersAndTheSandboxDatabaseArePrivateFromTheirFirstByte() throws {
        let base = try makeTemporaryDirectory("modes")
        let work = base + "/work", inbox = base + "/inbox"
        for folder in [work, inbox, work + "/out", work + "/tmp"] { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
        try FileManager.default.copyItem(atPath: repositoryPath("SampleData/placement.csv"), toPath: inbox + "/placement.csv")
        let pipeline = try CommandLineTests().writePipeline(in: work, target: "sandbox") {
            $0.replacingOccurrences(of: repositoryPath("SampleData") + "/placement.csv", with: inbox + "/placement.csv")
                .replacingOccurrences(of: "  format: csv                      # or xlsx; written into the run's report folder",
                                      with: "  format: csv\n  folder: \(work)/acks/night")
                + """

                operations:
                  archive_folder: \(work)/archive/done
                  error_folder: \(work)/archive/error
                on_failure:
                  command: [sh, -c, "stat -c %a \\"$SCOLLECT_SUMMARY_FILE\\" > \(base)/on-failure-mode.txt"]
                  when: [4]

                """
        }
        let held = try String(contentsOfFile: pipeline, encoding: .utf8).replacingOccurrences(of: "firstname: First Name", with: "firstname: Frist Name")
        try held.write(toFile: work + "/held.yml", atomically: true, encoding: .utf8)
        var export = try String(contentsOfFile: repositoryPath("Pipelines/portfolio-export-csv.yml"), encoding: .utf8)
        export = export.replacingOccurrences(of: "../exports/", with: work + "/exports/monthly/").replacingOccurrences(of: "../reports/", with: work + "/reports/")
        try export.write(toFile: work + "/export.yml", atomically: true, encoding: .utf8)

        let environment = ["TMPDIR": work + "/tmp"]
        let load = try traced(["run", pipeline, "--quiet", "--summary-json", work + "/out/night.json"], environment: environment, in: work, trace: base + "/load.trace")
        #expect(load.status == 1, "\(load.stderr)")
        let stopped = try traced(["run", work + "/held.yml", "--quiet"], environment: environment, in: work, trace: base + "/held.trace")
        #expect(stopped.status == 4, "\(stopped.stderr)")
        let exported = try traced(["run", work + "/export.yml", "--quiet"], environment: environment, in: work, trace: base + "/export.trace")
        #expect(exported.status == 0, "\(exported.stderr)")

        // What each file and folder is when it comes into being: a file made with O_EXCL was
        // made by that call; otherwise any call that may have made it counts.
        var creations: [String: [Call]] = [:]
        var narrowedAfter: [Call] = []
        for file in ["load", "held", "export"] {
            for call in try Self.calls(traces: base + "/\(file).trace") {
                let path = call.path.hasPrefix("/") || call.path.hasPrefix("fd:") ? call.path : work + "/" + call.path.replacingOccurrences(of: "./", with: "")
                switch call.name {
                case "open", "openat", "creat", "mkdir", "mkdirat":
                    if path.hasPrefix(work), call.name.hasPrefix("mkdir") || call.flags.contains("O_CREAT") { creations[path, default: []].append(call) }
                default:
                    // A chmod of a path means it was born with another mode; an fchmod that opens it up is a leak.
                    if path.hasPrefix(work) || (call.mode ?? 0) & 0o077 != 0 { narrowedAfter.append(call) }
                }
            }
        }
        let created = creations.mapValues { calls in calls.first { $0.flags.contains("O_EXCL") }.map { [$0] } ?? calls }
        let names = created.keys.map { $0.replacingOccurrences(of: work, with: "") }
        for expected in ["/.scollect/sandbox.sqlite", "/out/.night.json", "/acks/night", "/archive/done", "/exports/monthly"] {
            #expect(names.contains { $0.hasPrefix(expected) || $0.contains(expected.dropFirst()) }, "\(expected) not seen in the trace: \(names.sorted())")
        }
        #expect(names.contains { $0.hasPrefix("/tmp/") }, "the temporary summary for on_failure: \(names.sorted())")
        for (path, calls) in created {
            for call in calls {
                let wanted = call.name.hasPrefix("mkdir") ? 0o700 : 0o600
                #expect(call.mode == wanted, "\(path) created by \(call.name) with mode \(String(call.mode ?? -1, radix: 8)), wanted \(String(wanted, radix: 8))")
            }
        }
        #expect(narrowedAfter.isEmpty, "modes changed after creation: \(narrowedAfter.map { "\($0.name) \($0.path) \(String($0.mode ?? -1, radix: 8))" })")
        // And as they are now.
        #expect(fileMode(work + "/.scollect/sandbox.sqlite") == 0o600)
        #expect(fileMode(work + "/out/night.json") == 0o600)
        for folder in ["/acks/night", "/archive/done", "/exports/monthly", "/.scollect"] { #expect(fileMode(work + folder) == 0o700, "\(folder)") }
        #expect(try String(contentsOfFile: base + "/on-failure-mode.txt", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines) == "600")
    }
}
