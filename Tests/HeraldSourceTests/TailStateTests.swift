import HeraldSource
import Testing

private let path = "/var/log/app.log"
private let fileA = FileIdentity(device: 1, inode: 100)
private let fileB = FileIdentity(device: 1, inode: 200)

private func seen(_ identity: FileIdentity, size: Int64, _ firstBytes: String = "{\"a\":1}\n") -> FileObservation {
    FileObservation(identity: identity, size: size, fingerprint: Fingerprint(Array(firstBytes.utf8).prefix(Int(size))))
}

private func checkpoint(
    _ identity: FileIdentity, offset: Int64, _ firstBytes: String = "{\"a\":1}\n", path: String = path
) -> Checkpoint {
    Checkpoint(
        path: path,
        identity: identity,
        offset: offset,
        fingerprint: Fingerprint(Array(firstBytes.utf8).prefix(Int(offset))),
        lineNumber: 7
    )
}

private func listed(
    _ identity: FileIdentity, size: Int64, _ firstBytes: String = "{\"a\":1}\n", modified: Int64 = 0
) -> ListedFile {
    ListedFile(name: "app.log.\(identity.inode)", file: seen(identity, size: size, firstBytes), modified: modified)
}

/// One observation and the action it must produce.
struct Step: Sendable {
    var observation: TailObservation
    var expected: TailAction
}

private func step(
    path: FileObservation?,
    descriptor: FileObservation? = nil,
    directory: [ListedFile]? = nil,
    readOffset: Int64 = 0,
    atEOF: Bool = true,
    _ expected: TailAction
) -> Step {
    Step(
        observation: TailObservation(
            path: path,
            descriptor: descriptor,
            directory: directory,
            readOffset: readOffset,
            atEOF: atEOF
        ),
        expected: expected
    )
}

struct Scenario: Sendable, CustomTestStringConvertible {
    var name: String
    var checkpoint: Checkpoint?
    var startAt: StartPosition = .beginning
    var steps: [Step]

    var testDescription: String { name }
}

private let fromZero = TailAction.open(.offset(0, linesBefore: 0), .firstRun)

private let scenarios: [Scenario] = [
    Scenario(name: "first run at the beginning opens at 0", steps: [step(path: seen(fileA, size: 50), fromZero)]),
    Scenario(
        name: "first run at the end opens at the end",
        startAt: .end,
        steps: [step(path: seen(fileA, size: 50), .open(.end, .firstRun))]
    ),
    Scenario(
        name: "absent at start: wait, then read the new file from 0 even when starting at the end",
        startAt: .end,
        steps: [
            step(path: nil, .wait),
            step(path: nil, .wait),
            step(path: seen(fileA, size: 10), .open(.offset(0, linesBefore: 0), .appeared)),
        ]
    ),
    Scenario(
        name: "a matching checkpoint resumes after its last line",
        checkpoint: checkpoint(fileA, offset: 8),
        steps: [step(path: seen(fileA, size: 50), .open(.offset(8, linesBefore: 7), .resumed))]
    ),
    Scenario(
        name: "a checkpoint at exactly the end of the file resumes there",
        checkpoint: checkpoint(fileA, offset: 8),
        steps: [step(path: seen(fileA, size: 8), .open(.offset(8, linesBefore: 7), .resumed))]
    ),
    Scenario(
        name: "a checkpoint of another inode means the file was replaced: read from 0",
        checkpoint: checkpoint(fileA, offset: 8),
        startAt: .end,
        steps: [step(path: seen(fileB, size: 50), .open(.offset(0, linesBefore: 0), .checkpointMismatch))]
    ),
    Scenario(
        name: "same inode but other first bytes (inode reused or rewritten): read from 0",
        checkpoint: checkpoint(fileA, offset: 8),
        steps: [
            step(path: seen(fileA, size: 50, "{\"b\":2}\n"), .open(.offset(0, linesBefore: 0), .checkpointMismatch))
        ]
    ),
    Scenario(
        name: "same file shorter than the checkpoint (truncated while stopped): read from 0",
        checkpoint: checkpoint(fileA, offset: 8),
        steps: [step(path: seen(fileA, size: 4), .open(.offset(0, linesBefore: 0), .checkpointMismatch))]
    ),
    Scenario(
        name: "a checkpoint taken for another path is ignored",
        checkpoint: checkpoint(fileA, offset: 8, path: "/elsewhere.log"),
        startAt: .end,
        steps: [step(path: seen(fileA, size: 50), .open(.end, .firstRun))]
    ),
    Scenario(
        name: "checkpoint's file absent at start, then it comes back unchanged: resume",
        checkpoint: checkpoint(fileA, offset: 8),
        steps: [step(path: nil, .wait), step(path: seen(fileA, size: 20), .open(.offset(8, linesBefore: 7), .resumed))]
    ),
    Scenario(
        name: "checkpoint's file absent at start, then another file appears: read it from 0",
        checkpoint: checkpoint(fileA, offset: 8),
        steps: [
            step(path: nil, .wait),
            step(path: seen(fileB, size: 20), .open(.offset(0, linesBefore: 0), .checkpointMismatch)),
        ]
    ),
    Scenario(
        name: "checkpoint's file renamed while stopped: finish it from the checkpoint, then the new file from 0",
        checkpoint: checkpoint(fileA, offset: 8),
        steps: [
            step(
                path: seen(fileB, size: 30), directory: [listed(fileA, size: 50)],
                .openListed(fileA, .offset(8, linesBefore: 7), .resumedRenamed)),
            step(
                path: seen(fileB, size: 30), descriptor: seen(fileA, size: 50), directory: [listed(fileA, size: 50)],
                readOffset: 50, .drain),
            step(
                path: seen(fileB, size: 30), descriptor: seen(fileA, size: 50), directory: [listed(fileA, size: 50)],
                readOffset: 50, .open(.offset(0, linesBefore: 0), .rotated)),
        ]
    ),
    Scenario(
        name: "checkpoint's file renamed while stopped and the path absent: resume it, wait for the path",
        checkpoint: checkpoint(fileA, offset: 8),
        steps: [
            step(
                path: nil, directory: [listed(fileA, size: 50)],
                .openListed(fileA, .offset(8, linesBefore: 7), .resumedRenamed)),
            step(path: nil, descriptor: seen(fileA, size: 50), directory: [listed(fileA, size: 50)], readOffset: 50, .wait),
        ]
    ),
    Scenario(
        name: "a renamed file that is not the checkpoint's (shorter, or other first bytes) is ignored",
        checkpoint: checkpoint(fileA, offset: 8),
        steps: [
            step(
                path: seen(fileB, size: 30), directory: [listed(fileA, size: 4)],
                .open(.offset(0, linesBefore: 0), .checkpointMismatch))
        ]
    ),
    Scenario(
        name: "the path still names the checkpoint's file: a renamed observation does not matter",
        checkpoint: checkpoint(fileA, offset: 8),
        steps: [
            step(
                path: seen(fileA, size: 50), directory: [listed(fileA, size: 50)],
                .open(.offset(8, linesBefore: 7), .resumed)
            )
        ]
    ),
    Scenario(
        name: "the file grew past what was read: keep reading",
        steps: [
            step(path: seen(fileA, size: 50), fromZero),
            step(path: seen(fileA, size: 80), descriptor: seen(fileA, size: 80), readOffset: 50, .read),
        ]
    ),
    Scenario(
        name: "at the end of an unchanged file: wait",
        steps: [
            step(path: seen(fileA, size: 50), fromZero),
            step(path: seen(fileA, size: 50), descriptor: seen(fileA, size: 50), readOffset: 50, .wait),
        ]
    ),
    Scenario(
        name: "a read that did not reach the end keeps reading even when the path moved",
        steps: [
            step(path: seen(fileA, size: 50), fromZero),
            step(path: seen(fileB, size: 5), descriptor: seen(fileA, size: 90), readOffset: 50, atEOF: false, .read),
        ]
    ),
    Scenario(
        name: "first bytes growing from a short file are not a change",
        steps: [
            step(path: seen(fileA, size: 3), fromZero),
            step(path: seen(fileA, size: 8), descriptor: seen(fileA, size: 8), readOffset: 8, .wait),
            step(path: seen(fileA, size: 8), descriptor: seen(fileA, size: 8), readOffset: 8, .wait),
        ]
    ),
    Scenario(
        name: "copytruncate: the open file is shorter than what was read: restart at 0",
        steps: [
            step(path: seen(fileA, size: 50), fromZero),
            step(
                path: seen(fileA, size: 0), descriptor: seen(fileA, size: 0), readOffset: 50, .restartAtZero(.truncated)
            ),
            step(path: seen(fileA, size: 0), descriptor: seen(fileA, size: 0), readOffset: 0, .wait),
            step(path: seen(fileA, size: 30), descriptor: seen(fileA, size: 30), readOffset: 0, .read),
        ]
    ),
    Scenario(
        name: "truncated and refilled past the offset with new first bytes: restart at 0",
        steps: [
            step(path: seen(fileA, size: 50), fromZero),
            step(
                path: seen(fileA, size: 90, "{\"z\":9}\n"),
                descriptor: seen(fileA, size: 90, "{\"z\":9}\n"),
                readOffset: 50,
                .restartAtZero(.rewritten)
            ),
            step(
                path: seen(fileA, size: 90, "{\"z\":9}\n"),
                descriptor: seen(fileA, size: 90, "{\"z\":9}\n"),
                readOffset: 90,
                .wait
            ),
        ]
    ),
    Scenario(
        name: "rename rotation: stay on the old file until the new one has data, drain, then switch",
        steps: [
            step(path: seen(fileA, size: 50), fromZero),
            step(path: nil, descriptor: seen(fileA, size: 50), readOffset: 50, .wait),
            step(path: seen(fileB, size: 0), descriptor: seen(fileA, size: 50), readOffset: 50, .wait),
            step(path: seen(fileB, size: 0), descriptor: seen(fileA, size: 70), readOffset: 50, .read),
            step(path: seen(fileB, size: 12), descriptor: seen(fileA, size: 70), readOffset: 70, .drain),
            step(path: seen(fileB, size: 12), descriptor: seen(fileA, size: 75), readOffset: 70, .read),
            step(
                path: seen(fileB, size: 12), descriptor: seen(fileA, size: 75), readOffset: 75,
                .open(.offset(0, linesBefore: 0), .rotated)),
            step(path: seen(fileB, size: 12), descriptor: seen(fileB, size: 12), readOffset: 12, .wait),
        ]
    ),
    Scenario(
        name: "deleted then re-created: keep the old descriptor, then switch to the new file at 0",
        steps: [
            step(path: seen(fileA, size: 50), fromZero),
            step(path: nil, descriptor: seen(fileA, size: 50), readOffset: 50, .wait),
            step(path: seen(fileB, size: 9), descriptor: seen(fileA, size: 50), readOffset: 50, .drain),
            step(
                path: seen(fileB, size: 9), descriptor: seen(fileA, size: 50), readOffset: 50,
                .open(.offset(0, linesBefore: 0), .rotated)),
        ]
    ),
    Scenario(
        name: "draining while the path vanishes again: wait on the old file, switch when a file is back",
        steps: [
            step(path: seen(fileA, size: 50), fromZero),
            step(path: seen(fileB, size: 9), descriptor: seen(fileA, size: 50), readOffset: 50, .drain),
            step(path: nil, descriptor: seen(fileA, size: 50), readOffset: 50, .wait),
            step(
                path: seen(fileB, size: 9), descriptor: seen(fileA, size: 50), readOffset: 50,
                .open(.offset(0, linesBefore: 0), .rotated)),
        ]
    ),
    Scenario(
        name: "draining, but the path names the old file again (moved back): stay, no switch",
        steps: [
            step(path: seen(fileA, size: 50), fromZero),
            step(path: seen(fileB, size: 9), descriptor: seen(fileA, size: 50), readOffset: 50, .drain),
            step(path: seen(fileA, size: 50), descriptor: seen(fileA, size: 50), readOffset: 50, .wait),
            step(path: seen(fileA, size: 50), descriptor: seen(fileA, size: 50), readOffset: 50, .wait),
        ]
    ),
]

@Suite("TailState decisions")
struct TailStateTests {
    @Test("each observation leads to the expected action", arguments: scenarios)
    func scenario(_ scenario: Scenario) {
        var state = TailState(path: path, checkpoint: scenario.checkpoint, startAt: scenario.startAt)
        for (index, step) in scenario.steps.enumerated() {
            let action = state.decide(step.observation)
            #expect(action == step.expected, "step \(index + 1)")
        }
    }

    @Test("the open file's first bytes are remembered as they grow, for checkpoints")
    func fingerprintGrows() {
        var state = TailState(path: path, checkpoint: nil, startAt: .beginning)
        _ = state.decide(TailObservation(path: seen(fileA, size: 3)))
        #expect(state.openFile?.fingerprint.bytes.count == 3)
        _ = state.decide(TailObservation(path: seen(fileA, size: 8), descriptor: seen(fileA, size: 8), readOffset: 8))
        #expect(state.openFile?.identity == fileA)
        #expect(state.openFile?.fingerprint.bytes.count == 8)
    }
}

@Suite("Fingerprint")
struct FingerprintTests {
    @Test("hex round-trips and malformed hex is rejected")
    func hex() {
        let fingerprint = Fingerprint([0x00, 0x7B, 0xFF])
        #expect(fingerprint.hex == "007bff")
        #expect(Fingerprint(hex: "007BFF") == fingerprint)
        #expect(Fingerprint(hex: "0") == nil)
        #expect(Fingerprint(hex: "zz") == nil)
    }

    @Test("keeps at most 256 bytes")
    func capped() {
        #expect(Fingerprint([UInt8](repeating: 1, count: 1000)).bytes.count == 256)
    }

    @Test("a prefix is consistent, a different byte is not")
    func consistency() {
        let long = Fingerprint(Array("hello world".utf8))
        #expect(Fingerprint(Array("hello".utf8)).isConsistent(with: long))
        #expect(long.isConsistent(with: Fingerprint([])))
        #expect(!Fingerprint(Array("help".utf8)).isConsistent(with: long))
    }
}
