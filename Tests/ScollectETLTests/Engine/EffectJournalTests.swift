import Foundation
import ScollectTestSupport
import Testing
@testable import ScollectETL

/// Change records: written before their call leaves; settled after, those of idempotent calls
/// with the next commit (one commit per account), those of inserts at once.
@Suite struct EffectJournalTests {
    func effects() throws -> EffectJournal {
        let journal = try RunJournal(path: try makeTemporaryDirectory("effects") + "/journal.sqlite", key: nil)
        try journal.beginRun(id: "run1", pipeline: "p", inputName: "f.csv", inputDigest: "d", target: "t")
        return EffectJournal(journal: journal, runId: "run1", pipeline: "p", inputName: "f.csv", inputDigest: "d", normalizerName: { _ in nil })
    }

    func update(_ filenumber: String, city: String) -> PlannedCall {
        let call = APICall(method: "PUT", endpoint: "updatedbase", path: "/updatedbase", filenumber: filenumber, idempotent: true)
        return PlannedCall(call: call, effect: .setField("city", city), summary: "updatedbase city")
    }

    func states(_ effects: EffectJournal) throws -> [String: ChangeRecord.State] {
        Dictionary(uniqueKeysWithValues: try effects.journal.changes(runId: "run1").map { ($0.filenumber, $0.state) })
    }

    @Test func anIdempotentChangeIsSettledWithTheNextRecordOrAtTheBatchEnd() throws {
        let effects = try effects()
        let first = try effects.recordChanges([update("R1", city: "MOBILE")], snapshot: AccountSnapshot(), sourceRow: 1)
        effects.settleChanges(made: Array(first.values), failed: [], deferrable: true)
        #expect(try states(effects) == ["R1": .sent], "not committed on its own")
        let second = try effects.recordChanges([update("R2", city: "AUSTIN")], snapshot: AccountSnapshot(), sourceRow: 2)
        #expect(try states(effects) == ["R1": .made, "R2": .sent], "settled in the commit of the next record")
        effects.settleChanges(made: [], failed: Array(second.values), deferrable: true)
        effects.flushSettlements()
        #expect(try states(effects) == ["R1": .made, "R2": .failed])
    }

    @Test func anInsertRecordedAsAChangeIsSettledAtOnce() throws {
        let effects = try effects()
        let call = APICall(method: "POST", endpoint: "InsertNoteline", path: "/insertnoteline", filenumber: "R3", idempotent: false)
        let recorded = try effects.recordChanges([PlannedCall(call: call, effect: .none, summary: "InsertNoteline LOADER")],
                                                 snapshot: AccountSnapshot(), sourceRow: 3)
        effects.settleChanges(made: Array(recorded.values), failed: [], deferrable: false)
        #expect(try states(effects) == ["R3": .made], "a later run relies on it: made, not sent")
    }
}
