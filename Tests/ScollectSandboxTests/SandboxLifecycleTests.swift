import Foundation
import Testing
@testable import ScollectSandbox

/// The synchronous `start`/`stop` called from many Swift-concurrency tasks at once: each call
/// blocks a cooperative thread (there are as many as cores), so the server must not need that pool.
@Suite struct SandboxLifecycleTests {
    @Test func blockingStartAndStopFromConcurrentTasks() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sandbox-lifecycle-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let width = max(4, 2 * ProcessInfo.processInfo.activeProcessorCount)
        for round in 0..<3 {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for i in 0..<width {
                    group.addTask {
                        let path = directory.appendingPathComponent("\(round)-\(i).sqlite").path
                        let server = try SandboxServer.start(SandboxConfiguration(databasePath: path))
                        let client = SandboxClient(baseURL: server.baseURL)
                        let token = try await client.login()  // leaves a keep-alive connection open
                        #expect(try await client.get("/getaccount/R1000", token: token).status == 200)
                        server.stop()
                        server.stop()  // twice is fine
                    }
                }
                try await group.waitForAll()
            }
        }
    }

    @Test func stopFromAnotherThreadEndsWaitUntilStopped() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sandbox-wait-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let server = try SandboxServer.start(SandboxConfiguration(databasePath: directory.appendingPathComponent("s.sqlite").path))
        #expect(server.baseURL == "http://127.0.0.1:\(server.port)")
        let stopper = Thread { Thread.sleep(forTimeInterval: 0.2); server.stop() }
        stopper.start()
        server.waitUntilStopped()
        #expect(throws: (any Error).self) { _ = try server.store.accountCount() }  // database closed
    }
}
