/// One exit-code table for every command (the README documents it).
public enum ExitCode: Int32, Sendable, CaseIterable {
    case done = 0
    case doneWithRejects = 1
    case badPipelineOrArguments = 2
    case credentialsRefused = 3
    case inputHeld = 4
    case rejectLimit = 5
    case apiUnavailable = 6
    case interrupted = 7
    /// A thrown error nothing expected (a bug, a disk that vanished): not resumable as such.
    case internalError = 8

    public var meaning: String {
        switch self {
        case .done: return "done, nothing rejected"
        case .doneWithRejects: return "done with rejects"
        case .badPipelineOrArguments: return "bad pipeline file or arguments"
        case .credentialsRefused: return "credentials refused"
        case .inputHeld: return "input held by a whole-file check"
        case .rejectLimit: return "aborted: reject limit"
        case .apiUnavailable: return "aborted: API unavailable after retries"
        case .interrupted: return "interrupted (resumable)"
        case .internalError: return "internal error (not resumable)"
        }
    }
}
