import HeraldJournal
import HeraldSource
import Testing

@testable import HeraldCore

@Suite("recovery from source: which stretches to read again")
struct SourceRecoveryPlanTests {
    static func at(_ offset: Int64, _ length: Int64 = 10, inode: UInt64 = 7) -> SourcePosition {
        SourcePosition(device: 1, inode: inode, fingerprintHash: 99, fingerprintLength: 256, offset: offset, length: length)
    }

    static let damage = JournalDamage(segment: "segment-00000001.log", offset: 100, length: 50, reason: "checksum mismatch")

    static func checkpoint(inode: UInt64, offset: Int64) -> Checkpoint {
        Checkpoint(path: "/x", device: 1, inode: inode, offset: offset, fingerprint: "", lineNumber: nil)
    }

    struct Scenario: CustomTestStringConvertible, Sendable {
        var name: String
        var gaps: [SourceGap]
        var checkpoint: Checkpoint?
        var stretches: [(inode: UInt64, range: Range<Int64>)]
        var unbounded: Int
        var testDescription: String { name }
    }

    static let scenarios: [Scenario] = [
        Scenario(name: "between two lines of one file: from the first's start to the second's end",
                 gaps: [SourceGap(before: at(100), after: at(400), damage: damage)], checkpoint: nil,
                 stretches: [(7, 100..<410)], unbounded: 0),
        Scenario(name: "within one line's deliveries: that line",
                 gaps: [SourceGap(before: at(100), after: at(100), damage: damage)], checkpoint: nil,
                 stretches: [(7, 100..<110)], unbounded: 0),
        Scenario(name: "across a rotation: the old file to its end, the new one from its start",
                 gaps: [SourceGap(before: at(100), after: at(50, inode: 8), damage: damage)], checkpoint: nil,
                 stretches: [(7, 100..<Int64.max), (8, 0..<60)], unbounded: 0),
        Scenario(name: "nothing intact after it: up to the checkpoint in the same file",
                 gaps: [SourceGap(before: at(100), after: nil, damage: damage)], checkpoint: checkpoint(inode: 7, offset: 900),
                 stretches: [(7, 100..<900)], unbounded: 0),
        Scenario(name: "nothing intact after it, the checkpoint in another file: to the end",
                 gaps: [SourceGap(before: at(100), after: nil, damage: damage)], checkpoint: checkpoint(inode: 9, offset: 900),
                 stretches: [(7, 100..<Int64.max)], unbounded: 0),
        Scenario(name: "nothing intact with a position before it: cannot be bounded",
                 gaps: [SourceGap(before: nil, after: at(100), damage: damage)], checkpoint: nil,
                 stretches: [], unbounded: 1),
        Scenario(name: "two overlapping gaps of one file: read once",
                 gaps: [SourceGap(before: at(100), after: at(300), damage: damage), SourceGap(before: at(300), after: at(500), damage: damage)],
                 checkpoint: nil, stretches: [(7, 100..<510)], unbounded: 0),
        Scenario(name: "out of journal order (compacted records): still the lines between",
                 gaps: [SourceGap(before: at(400), after: at(100), damage: damage)], checkpoint: nil,
                 stretches: [(7, 100..<410)], unbounded: 0),
    ]

    @Test("scenario", arguments: scenarios)
    func plan(_ scenario: Scenario) {
        let plan = SourceRecovery.plan(scenario.gaps, checkpoint: scenario.checkpoint)
        #expect(plan.stretches.map { [Int64($0.file.inode), $0.range.lowerBound, $0.range.upperBound] }
                == scenario.stretches.map { [Int64($0.inode), $0.range.lowerBound, $0.range.upperBound] })
        #expect(plan.unbounded.count == scenario.unbounded)
    }
}
