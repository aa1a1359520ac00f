import Foundation
import ScollectETL

/// A line on standard error.
func printError(_ message: String) {
    // Errors quote server answers and file values: no control character reaches the terminal.
    FileHandle.standardError.write(Data((TerminalText.printable(message, keepingNewlines: true) + "\n").utf8))
}
