/// Decides whether a write whose answer was lost reached the server, by counting the account's
/// records with its keys (payments of that date and amount, the phone, the note, the attempt)
/// against what the journal says should be there: present when the records now, minus the
/// baseline counted before the send, minus those the journal confirmed since, are exactly the
/// write's. Pure: the caller reads the server and the journal.
public enum OutcomeReconciler {
    public enum Verdict: Equatable, Sendable {
        /// Every record of the write is on the server: it was booked, do not send it again.
        case landed
        /// None is: the request never took effect, it is safe to send.
        case absent
        /// The counts fit neither: a person must look at the account.
        case unsettled(String)
    }

    /// - Parameters:
    ///   - entry: the open write (its items and the baseline counted just before it was sent).
    ///   - server: the account's records now, counted by key.
    ///   - bookedLater: records of that kind the journal confirmed on the account after this write was sent.
    ///   - bookedEver: every such record the journal confirmed on the account (used when there is no baseline).
    ///   - openLater: other writes to the account sent after this one, still open, that add a
    ///     record with one of this write's keys.
    public static func verdict(for entry: LedgerEntry, server: [String: Int], bookedLater: [String: Int],
                               bookedEver: [String: Int], openLater: Int) -> Verdict {
        let wanted = entry.items.tally
        var differences: [String: Int] = [:]
        for key in wanted.keys {
            if let baseline = entry.baseline {
                // On the server now, minus what was there before, minus what we booked since.
                differences[key] = server[key, default: 0] - baseline[key, default: 0] - bookedLater[key, default: 0]
            } else {
                // Without a baseline, assume no record with that key came from elsewhere.
                differences[key] = server[key, default: 0] - bookedEver[key, default: 0]
            }
        }
        let describe = wanted.keys.sorted().map { key in
            "\(key.replacingOccurrences(of: "|", with: " ")): \(server[key, default: 0]) on the server, \(differences[key]!) unexplained, \(wanted[key]!) sent"
        }.joined(separator: "; ")
        if openLater > 0 {
            // A later open write may share a date and amount; the counts cannot tell them apart.
            if differences.values.allSatisfy({ $0 == 0 }) { return .absent }
            return .unsettled("another write to the account after this one is also unsettled (\(describe))")
        }
        if wanted.allSatisfy({ differences[$0.key] == $0.value }) { return .landed }
        if differences.values.allSatisfy({ $0 == 0 }) { return .absent }
        return .unsettled("the account's payments do not add up (\(describe))")
    }
}
