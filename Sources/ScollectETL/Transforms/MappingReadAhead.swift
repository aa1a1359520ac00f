import Foundation

/// Maps and normalises the records of a reader on two threads, handing them out in file order:
/// a helper thread maps the chunks ahead of the caller, and a caller whose next chunk is not
/// ready maps the next one nobody took (its own, or a later one while the helper maps its own)
/// instead of waiting, so both cores map while the reader (a `PrefetchingReader`, a thread of its
/// own) parses. Memory stays bounded: no chunk is taken more than `ahead` past the caller's.
///
/// `RowMapper.map` is pure, so a row maps the same on either thread; only the order of the
/// results matters, and it is the reader's.
public final class MappingReadAhead: @unchecked Sendable {
    public typealias Item = (read: ReadResult, mapped: RowMapper.Outcome?)

    private enum Entry {
        case rows([Item])
        case end
        case failed(Error)
    }

    private let reader: any RecordReader
    private let mapper: RowMapper
    private let chunkSize: Int
    private let ahead: Int
    private let condition = NSCondition()
    /// Under `condition`: the next chunk number to take from the reader, chunks mapped and not
    /// yet handed out, chunks being mapped, the caller's chunk, and whether the reader is done.
    private var nextToTake = 0
    private var mapped: [Int: Entry] = [:]
    private var mapping: Set<Int> = []
    private var wanted = 0
    private var readerDone = false
    private var readerError: Error?
    private var cancelled = false
    // The caller's side only: the chunk being handed out, in reverse order.
    private var current: [Item] = []
    private var finished = false

    public init(reader: any RecordReader, mapper: RowMapper, chunkSize: Int = 2048, ahead: Int = 3) {
        self.reader = reader
        self.mapper = mapper
        self.chunkSize = chunkSize
        self.ahead = ahead
        let thread = Thread { [self] in help() }
        thread.name = "scollect-mapper"
        thread.start()
    }

    deinit { cancel() }

    /// Stops the helper thread (the caller stopped early).
    public func cancel() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        condition.unlock()
    }

    /// The next record and its mapping (nil for a malformed one), in file order; nil at the end.
    public func next() throws -> Item? {
        while current.isEmpty {
            if finished { return nil }
            var entry = try nextEntry()
            switch entry {
            case let .rows(items):
                current = items
                entry = .end
                // Last first: each item is then moved out (`popLast`), not copied and released later.
                current.reverse()
            case .end:
                finished = true
                return nil
            case let .failed(error):
                finished = true
                throw error
            }
        }
        return current.popLast()
    }

    private func nextEntry() throws -> Entry {
        condition.lock()
        let number = wanted
        wanted += 1
        condition.broadcast() // the helper may go one chunk further
        while true {
            if let entry = mapped.removeValue(forKey: number) {
                condition.unlock()
                return entry
            }
            if readerDone && number >= nextToTake {
                condition.unlock()
                return readerError.map(Entry.failed) ?? .end
            }
            if !readerDone && nextToTake - number < ahead {
                // Rather than wait for the helper, map the next chunk nobody took here: this one
                // or, while the helper maps this one, a later one (both cores map).
                let taken = nextToTake
                mapping.insert(taken)
                let chunk = take()
                condition.unlock()
                let entry = map(chunk)
                condition.lock()
                mapping.remove(taken)
                if taken == number {
                    condition.unlock()
                    return entry
                }
                mapped[taken] = entry
                condition.broadcast()
                continue
            }
            condition.wait()
        }
    }

    /// Under `condition`: the next chunk from the reader (an empty one at its end).
    private func take() -> Entry {
        nextToTake += 1
        var rows: [Item] = []
        rows.reserveCapacity(chunkSize)
        do {
            while rows.count < chunkSize, let row = try reader.next() { rows.append((row, nil)) }
        } catch {
            readerDone = true
            if rows.isEmpty { return .failed(error) }
            readerError = error // after the rows read before it
            return .rows(rows)
        }
        if rows.isEmpty {
            readerDone = true
            return .end
        }
        return .rows(rows)
    }

    private func map(_ entry: consuming Entry) -> Entry {
        guard case var .rows(items) = entry else { return entry }
        entry = .end // the items' only owner now: mapped in place, not copied first
        for k in items.indices {
            if case let .record(record) = items[k].read { items[k].mapped = mapper.map(record) }
        }
        return .rows(items)
    }

    private func help() {
        condition.lock()
        while true {
            while !cancelled && !readerDone && nextToTake - wanted >= ahead { condition.wait() }
            if cancelled || readerDone { break }
            let number = nextToTake
            mapping.insert(number)
            let chunk = take()
            condition.unlock()
            let entry = map(chunk)
            condition.lock()
            mapped[number] = entry
            mapping.remove(number)
            condition.broadcast()
        }
        condition.unlock()
    }
}
