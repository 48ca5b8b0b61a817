import Foundation
@testable import HeraldSource
import Testing

private let path = "/var/log/app.log"
private let fileA = FileIdentity(device: 1, inode: 100)
private let fileB = FileIdentity(device: 1, inode: 200)
private let fileC = FileIdentity(device: 1, inode: 300)
private let fileD = FileIdentity(device: 1, inode: 400)
private let older = FileIdentity(device: 1, inode: 50)

private func bytes(of identity: FileIdentity) -> String { "{\"file\":\(identity.inode)}\n" }

private func seen(_ identity: FileIdentity, size: Int64, _ firstBytes: String? = nil) -> FileObservation {
    let first = firstBytes ?? bytes(of: identity)
    return FileObservation(identity: identity, size: size, fingerprint: Fingerprint(Array(first.utf8).prefix(Int(size))))
}

private func listed(_ identity: FileIdentity, size: Int64, modified: Int64, _ firstBytes: String? = nil) -> ListedFile {
    ListedFile(name: "app.log.\(identity.inode)", file: seen(identity, size: size, firstBytes), modified: modified)
}

private func finished(_ identity: FileIdentity, size: Int64 = 50, _ firstBytes: String? = nil) -> FinishedFile {
    FinishedFile(identity: identity, fingerprint: seen(identity, size: size, firstBytes).fingerprint)
}

private func checkpoint(_ identity: FileIdentity, offset: Int64, size: Int64? = nil, finished: [FinishedFile]?) -> Checkpoint {
    Checkpoint(
        path: path, identity: identity, offset: offset,
        fingerprint: Fingerprint(Array(bytes(of: identity).utf8).prefix(Int(offset))), lineNumber: 3, size: size,
        finished: finished)
}

private struct ChainStep: Sendable {
    var path: FileObservation?
    var descriptor: FileObservation?
    var readOffset: Int64 = 0
    var expected: TailAction
}

private struct ChainScenario: Sendable, CustomTestStringConvertible {
    var name: String
    var checkpoint: Checkpoint?
    /// What a listing of the directory shows throughout (rotation is over; the tail catches up).
    var directory: [ListedFile]
    var steps: [ChainStep]
    /// The files ``TailState/finished`` holds after the last step.
    var finishedAfter: [FileIdentity]
    var testDescription: String { name }
}

/// At the end of `file` (of `size`) with the path naming `current`: the observation the shell makes.
private func atEnd(_ file: FileIdentity, _ size: Int64, path current: FileObservation?, _ expected: TailAction) -> ChainStep {
    ChainStep(path: current, descriptor: seen(file, size: size), readOffset: size, expected: expected)
}

private let fromZero = OpenPosition.offset(0, linesBefore: 0)
private let pathD = seen(fileD, size: 20)
/// The checkpoint's file A, rotated twice more while Herald was stopped: B and C are between A and D.
/// Listed out of order on purpose: the tail orders them by modification time.
private let twoBehind = [
    listed(fileC, size: 30, modified: 3), listed(fileA, size: 50, modified: 1), listed(fileB, size: 40, modified: 2),
]

private let chainScenarios: [ChainScenario] = [
    ChainScenario(
        name: "checkpoint's file renamed, then two more rotations: its rest, B, C (oldest first), then the path's D",
        checkpoint: checkpoint(fileA, offset: 8, finished: []),
        directory: twoBehind,
        steps: [
            ChainStep(path: pathD, expected: .openListed(fileA, .offset(8, linesBefore: 3), .resumedRenamed)),
            atEnd(fileA, 50, path: pathD, .drain),
            atEnd(fileA, 50, path: pathD, .openListed(fileB, fromZero, .rotatedUnread)),
            atEnd(fileB, 40, path: pathD, .drain),
            atEnd(fileB, 40, path: pathD, .openListed(fileC, fromZero, .rotatedUnread)),
            atEnd(fileC, 30, path: pathD, .drain),
            atEnd(fileC, 30, path: pathD, .open(fromZero, .rotated)),
        ],
        finishedAfter: [fileA, fileB, fileC]
    ),
    ChainScenario(
        name: "the rotated files are read even while the path names no file, and the last one is kept open",
        checkpoint: checkpoint(fileA, offset: 8, finished: []),
        directory: twoBehind,
        steps: [
            ChainStep(path: nil, expected: .openListed(fileA, .offset(8, linesBefore: 3), .resumedRenamed)),
            atEnd(fileA, 50, path: nil, .drain),
            atEnd(fileA, 50, path: nil, .openListed(fileB, fromZero, .rotatedUnread)),
            atEnd(fileB, 40, path: nil, .drain),
            atEnd(fileB, 40, path: nil, .openListed(fileC, fromZero, .rotatedUnread)),
            atEnd(fileC, 30, path: nil, .wait),
        ],
        finishedAfter: [fileA, fileB]
    ),
    ChainScenario(
        name: "checkpoint's file gone: the files rotated after it from 0, then the path's",
        checkpoint: checkpoint(fileA, offset: 8, size: 50, finished: []),
        directory: [listed(fileC, size: 30, modified: 3), listed(fileB, size: 40, modified: 2)],
        steps: [
            ChainStep(path: pathD, expected: .openListed(fileB, fromZero, .rotatedUnread)),
            atEnd(fileB, 40, path: pathD, .drain),
            atEnd(fileB, 40, path: pathD, .openListed(fileC, fromZero, .rotatedUnread)),
            atEnd(fileC, 30, path: pathD, .drain),
            atEnd(fileC, 30, path: pathD, .open(fromZero, .rotated)),
        ],
        finishedAfter: [fileB, fileC]
    ),
    ChainScenario(
        name: "files the checkpoint knows as finished are not read again; the unknown one is",
        checkpoint: checkpoint(fileA, offset: 8, finished: [finished(older)]),
        directory: [listed(older, size: 50, modified: 0)] + twoBehind.filter { $0.file.identity != fileC },
        steps: [
            ChainStep(path: pathD, expected: .openListed(fileA, .offset(8, linesBefore: 3), .resumedRenamed)),
            atEnd(fileA, 50, path: pathD, .drain),
            atEnd(fileA, 50, path: pathD, .openListed(fileB, fromZero, .rotatedUnread)),
            atEnd(fileB, 40, path: pathD, .drain),
            atEnd(fileB, 40, path: pathD, .open(fromZero, .rotated)),
        ],
        finishedAfter: [older, fileA, fileB]
    ),
    ChainScenario(
        name: "a finished file's inode reused by a new file with other first bytes: the new file is read",
        checkpoint: checkpoint(fileA, offset: 8, finished: [finished(older, "{\"old\":1}\n")]),
        directory: [listed(fileA, size: 50, modified: 1), listed(older, size: 50, modified: 2)],
        steps: [
            ChainStep(path: pathD, expected: .openListed(fileA, .offset(8, linesBefore: 3), .resumedRenamed)),
            atEnd(fileA, 50, path: pathD, .drain),
            atEnd(fileA, 50, path: pathD, .openListed(older, fromZero, .rotatedUnread)),
        ],
        finishedAfter: [older, fileA]
    ),
    ChainScenario(
        name: "a compressed rotated file is never read",
        checkpoint: checkpoint(fileA, offset: 8, finished: []),
        directory: [
            listed(fileA, size: 50, modified: 1),
            ListedFile(
                name: "app.log.2.gz",
                file: FileObservation(identity: fileB, size: 40, fingerprint: Fingerprint([0x1F, 0x8B, 0x08, 0x00, 0x41])),
                modified: 2),
        ],
        steps: [
            ChainStep(path: pathD, expected: .openListed(fileA, .offset(8, linesBefore: 3), .resumedRenamed)),
            atEnd(fileA, 50, path: pathD, .drain),
            atEnd(fileA, 50, path: pathD, .open(fromZero, .rotated)),
        ],
        finishedAfter: [fileA]
    ),
    ChainScenario(
        name: "a checkpoint of an older version (no chain recorded): its file, then the path's, as before",
        checkpoint: checkpoint(fileA, offset: 8, finished: nil),
        directory: twoBehind,
        steps: [
            ChainStep(path: pathD, expected: .openListed(fileA, .offset(8, linesBefore: 3), .resumedRenamed)),
            atEnd(fileA, 50, path: pathD, .drain),
            atEnd(fileA, 50, path: pathD, .open(fromZero, .rotated)),
        ],
        finishedAfter: [fileC, fileB, fileA]
    ),
    ChainScenario(
        name: "the path still names the checkpoint's file: the rest of the directory is older",
        checkpoint: checkpoint(fileA, offset: 8, finished: []),
        directory: [listed(fileB, size: 40, modified: 2)],
        steps: [ChainStep(path: seen(fileA, size: 50), expected: .open(.offset(8, linesBefore: 3), .resumed))],
        finishedAfter: [fileB]
    ),
]

@Suite("TailState rotation chains")
struct TailStateChainTests {
    @Test("each observation leads to the expected action, and the chain behind is recorded", arguments: chainScenarios)
    fileprivate func scenario(_ scenario: ChainScenario) {
        var state = TailState(path: path, checkpoint: scenario.checkpoint, startAt: .beginning)
        for (index, step) in scenario.steps.enumerated() {
            let observation = TailObservation(
                path: step.path, descriptor: step.descriptor,
                directory: state.wantsListing(pathNames: step.path?.identity) ? scenario.directory : nil,
                readOffset: step.readOffset)
            #expect(state.decide(observation) == step.expected, "step \(index + 1)")
        }
        #expect(state.finished.map(\.identity) == scenario.finishedAfter)
    }

    @Test("paused two rotations behind while running: the middle file is read before the path's")
    func pausedWhileRunning() {
        var state = TailState(path: path, checkpoint: nil, startAt: .beginning)
        // A first run: the older file already there is not read.
        let before = [listed(older, size: 50, modified: 0)]
        #expect(state.decide(TailObservation(path: seen(fileA, size: 50), directory: before)) == .open(fromZero, .firstRun))
        #expect(!state.wantsListing(pathNames: fileA))
        let rotated = before + [listed(fileA, size: 60, modified: 1), listed(fileB, size: 40, modified: 2)]
        let pathC = seen(fileC, size: 10)
        let steps: [(FileIdentity, Int64, TailAction)] = [
            (fileA, 60, .drain), (fileA, 60, .openListed(fileB, fromZero, .rotatedUnread)),
            (fileB, 40, .drain), (fileB, 40, .open(fromZero, .rotated)),
        ]
        for (index, (file, size, expected)) in steps.enumerated() {
            #expect(state.wantsListing(pathNames: fileC))
            let observation = TailObservation(
                path: pathC, descriptor: seen(file, size: size), directory: rotated, readOffset: size)
            #expect(state.decide(observation) == expected, "step \(index + 1)")
        }
        #expect(state.finished.map(\.identity) == [older, fileA, fileB])
    }

    @Test("a checkpoint's file that cannot be found is reported once, with the bytes it still had unread")
    func lostIsReported() {
        var state = TailState(
            path: path, checkpoint: checkpoint(fileA, offset: 8, size: 50, finished: []), startAt: .beginning)
        // Nothing there at all yet: the checkpoint waits, nothing is reported.
        #expect(state.decide(TailObservation(path: nil, directory: [])) == .wait)
        #expect(state.takeLost().isEmpty)
        #expect(state.decide(TailObservation(path: pathD, directory: [])) == .open(fromZero, .checkpointMismatch))
        #expect(state.takeLost() == [LostFile(identity: fileA, offset: 8, unreadBytes: 42)])
        #expect(state.takeLost().isEmpty)
    }

    @Test("a checkpoint's inode reused with other first bytes is reported lost; size unknown in old checkpoints")
    func reusedInodeIsLost() {
        var state = TailState(path: path, checkpoint: checkpoint(fileA, offset: 8, finished: nil), startAt: .beginning)
        let reused = seen(fileA, size: 50, "{\"other\":1}\n")
        #expect(state.decide(TailObservation(path: reused, directory: [])) == .open(fromZero, .checkpointMismatch))
        #expect(state.takeLost() == [LostFile(identity: fileA, offset: 8, unreadBytes: nil)])
    }
}

@Suite("FinishedFile")
struct FinishedFileTests {
    @Test("matches its file at any later size, not another inode nor other first bytes")
    func matching() {
        let record = FinishedFile(identity: fileA, fingerprint: Fingerprint(Array("{\"a\":1}\n".utf8)))
        #expect(record.matches(FileObservation(identity: fileA, size: 500, fingerprint: Fingerprint(Array("{\"a\":1}\n{\"b\"".utf8)))))
        #expect(!record.matches(FileObservation(identity: fileB, size: 8, fingerprint: Fingerprint(Array("{\"a\":1}\n".utf8)))))
        #expect(!record.matches(FileObservation(identity: fileA, size: 8, fingerprint: Fingerprint(Array("{\"z\":1}\n".utf8)))))
        #expect(!record.matches(FileObservation(identity: fileA, size: 3, fingerprint: Fingerprint(Array("{\"a".utf8)))))
    }

    @Test("round-trips through a checkpoint's JSON, and a checkpoint without it decodes as nil")
    func codable() throws {
        let saved = checkpoint(fileA, offset: 8, size: 50, finished: [finished(fileB)])
        let encoded = try JSONEncoder().encode(saved)
        #expect(try JSONDecoder().decode(Checkpoint.self, from: encoded) == saved)
        let old = #"{"path":"/var/log/app.log","device":1,"inode":100,"offset":8,"fingerprint":"7b","lineNumber":3}"#
        let decoded = try JSONDecoder().decode(Checkpoint.self, from: Data(old.utf8))
        #expect(decoded.finished == nil && decoded.size == nil)
    }
}

@Suite("rotated names")
struct RotatedNameTests {
    @Test(
        "numbered and dated names are candidates; other files of the directory are not",
        arguments: [
            ("events.jsonl.1", true), ("events.jsonl.12", true), ("events.jsonl-20261201", true),
            ("events-2026-12-01.jsonl", true), ("events.1.jsonl", true), ("events_20261201.jsonl", true),
            ("events.jsonl.1.gz", true),
            ("events.jsonl", false), ("events.jsonl.swp", false), ("events-archive.jsonl", false),
            ("eventsfoo-1.jsonl", false), ("events-2026-12-01.log", false), (".events.jsonl.1", false),
            ("other.jsonl.1", false),
        ])
    func candidates(name: String, expected: Bool) {
        #expect(RotatedName.matches(name, source: "events.jsonl") == expected)
    }
}
