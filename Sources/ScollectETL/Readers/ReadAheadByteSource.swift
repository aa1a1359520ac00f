import Foundation

/// Reads a byte source on a thread of its own, up to `depth` chunks ahead: the XLSX reader
/// inflates the worksheet there while libxml2 parses the previous chunk. Memory stays
/// bounded: `depth + 1` chunks of `chunkSize` bytes.
final class ReadAheadByteSource: ByteSource {
    /// What the two threads share; the thread holds it, not the owner, so dropping the owner
    /// stops the thread.
    private final class Shared: @unchecked Sendable {
        let condition = NSCondition()
        var free: [UnsafeMutableRawBufferPointer] = []
        var filled: [(UnsafeMutableRawBufferPointer, Int)] = []
        var ended = false
        var failure: Error?
        var cancelled = false
        var all: [UnsafeMutableRawBufferPointer] = []

        deinit {
            for buffer in all { buffer.deallocate() }
        }
    }

    private let shared = Shared()
    private var current: UnsafeMutableRawBufferPointer?
    private var currentCount = 0
    private var position = 0
    private var done = false

    init(wrapping source: ByteSource, chunkSize: Int = 256 * 1024, depth: Int = 3) {
        for _ in 0...depth {
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 16)
            shared.all.append(buffer)
            shared.free.append(buffer)
        }
        let shared = shared
        let thread = Thread { ReadAheadByteSource.produce(from: source, into: shared) }
        thread.name = "scollect-inflate"
        thread.start()
    }

    deinit {
        shared.condition.lock()
        shared.cancelled = true
        shared.condition.broadcast()
        shared.condition.unlock()
    }

    private static func produce(from source: ByteSource, into shared: Shared) {
        while true {
            shared.condition.lock()
            while shared.free.isEmpty && !shared.cancelled { shared.condition.wait() }
            if shared.cancelled {
                shared.condition.unlock()
                return
            }
            let buffer = shared.free.removeLast()
            shared.condition.unlock()

            var count = 0
            var failure: Error?
            do {
                while count < buffer.count {
                    let n = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[count...]))
                    if n == 0 { break }
                    count += n
                }
            } catch {
                failure = error
            }

            shared.condition.lock()
            if count > 0 { shared.filled.append((buffer, count)) } else { shared.free.append(buffer) }
            let finished = failure != nil || count < buffer.count
            if let failure { shared.failure = failure }
            if finished { shared.ended = true }
            shared.condition.broadcast()
            shared.condition.unlock()
            if finished { return }
        }
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard buffer.count > 0, let base = buffer.baseAddress else { return 0 }
        if position == currentCount {
            if done { return 0 }
            shared.condition.lock()
            if let used = current {
                shared.free.append(used)
                current = nil
                shared.condition.broadcast()
            }
            while shared.filled.isEmpty && !shared.ended { shared.condition.wait() }
            if shared.filled.isEmpty {
                let failure = shared.failure
                shared.condition.unlock()
                done = true
                if let failure { throw failure }
                return 0
            }
            let (next, count) = shared.filled.removeFirst()
            shared.condition.unlock()
            current = next
            currentCount = count
            position = 0
        }
        let n = min(buffer.count, currentCount - position)
        base.copyMemory(from: current!.baseAddress! + position, byteCount: n)
        position += n
        return n
    }
}
