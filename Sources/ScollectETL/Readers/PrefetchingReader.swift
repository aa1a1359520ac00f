import Foundation

/// Reads ahead on a thread of its own: the wrapped reader parses the next rows while the
/// engine maps and normalises the previous ones, so the two costs overlap on two cores.
/// Memory stays bounded: at most `depth` chunks of `chunkSize` rows wait in the queue.
public final class PrefetchingReader: RecordReader, @unchecked Sendable {
    public let header: [String]
    public let path: String
    public let notices: [String]

    private enum Chunk {
        case rows([ReadResult])
        case failed(Error)
        case end
    }

    private let condition = NSCondition()
    private var queue: [Chunk] = []
    private var cancelled = false
    private let depth: Int
    /// The chunk being handed out, in reverse order.
    private var current: [ReadResult] = []
    private var finished = false

    public init(wrapping reader: any RecordReader, chunkSize: Int = 2048, depth: Int = 4) {
        header = reader.header
        path = reader.path
        notices = reader.notices
        self.depth = depth
        let thread = Thread { [self] in produce(from: reader, chunkSize: chunkSize) }
        thread.name = "scollect-reader"
        thread.start()
    }

    deinit {
        cancel()
    }

    /// Stops the read-ahead thread (the engine stopped early).
    public func cancel() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        condition.unlock()
    }

    private func produce(from reader: any RecordReader, chunkSize: Int) {
        var chunk: [ReadResult] = []
        chunk.reserveCapacity(chunkSize)
        func push(_ item: Chunk) -> Bool {
            condition.lock()
            defer { condition.unlock() }
            while queue.count >= depth && !cancelled { condition.wait() }
            if cancelled { return false }
            queue.append(item)
            condition.broadcast()
            return true
        }
        do {
            while let result = try reader.next() {
                chunk.append(result)
                if chunk.count == chunkSize {
                    guard push(.rows(chunk)) else { return }
                    chunk = []
                    chunk.reserveCapacity(chunkSize)
                }
            }
            if !chunk.isEmpty { guard push(.rows(chunk)) else { return } }
            _ = push(.end)
        } catch {
            if !chunk.isEmpty { guard push(.rows(chunk)) else { return } }
            _ = push(.failed(error))
        }
    }

    public func next() throws -> ReadResult? {
        while current.isEmpty {
            if finished { return nil }
            condition.lock()
            while queue.isEmpty { condition.wait() }
            var chunk = queue.removeFirst()
            condition.broadcast()
            condition.unlock()
            switch chunk {
            case let .rows(rows):
                current = rows
                chunk = .end
                // Last first: each row is then moved out (`popLast`), not copied and released later.
                current.reverse()
            case let .failed(error):
                finished = true
                throw error
            case .end:
                finished = true
                return nil
            }
        }
        return current.popLast()
    }
}
