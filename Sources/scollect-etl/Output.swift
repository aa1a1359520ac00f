import Foundation
import ScollectETL

/// A line on standard error (through the run's logger once a run installed one).
func printError(_ message: String) {
    CommandLog.line(message)
}
