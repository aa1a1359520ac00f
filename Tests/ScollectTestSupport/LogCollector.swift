import Foundation
import Logging
import ScollectETL

/// A logger whose lines (in their text form, `error: …`) are kept for a test to read.
public final class LogCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var collected: [String] = []

    public init() {}

    public var lines: [String] { lock.lock(); defer { lock.unlock() }; return collected }

    public func logger(level: Logger.Level = .trace) -> Logger {
        .handing(to: { [self] level, message, _ in
            lock.lock()
            collected.append(LogLine.text(level: level, message: message))
            lock.unlock()
        }, level: level)
    }
}
