import HeraldSource
import Testing

/// ``FileSetState`` in injected time: which of a glob's files are open, which wait, when an idle
/// one hands its slot over, and when a gone one is released.
@Suite("file set state")
struct FileSetStateTests {
    static func id(_ inode: UInt64) -> FileIdentity { FileIdentity(device: 1, inode: inode) }
    static func files(_ names: [String]) -> [(path: String, identity: FileIdentity)] {
        names.enumerated().map { (path: $1, identity: id(UInt64($0 + 100))) }
    }

    /// One step of a scenario and what it must do.
    enum Step {
        case discover([String], at: Int)
        case read(String, at: Int)
        case gone(String, at: Int)
        case present(String)
        case ended(String, at: Int)
        case tick(at: Int)
    }

    struct Scenario: CustomTestStringConvertible, Sendable {
        var name: String
        var maxOpen: Int
        var steps: [(Step, [FileSetState.Action])]
        var open: [String]
        var waiting: [String]
        var testDescription: String { name }
    }

    static let scenarios: [Scenario] = [
        Scenario(name: "files found are opened in order up to the limit; the rest wait", maxOpen: 2, steps: [
            (.discover(["a", "b", "c"], at: 0), [.open("a"), .open("b")]),
            (.discover(["a", "b", "c", "d"], at: 1), []),
        ], open: ["a", "b"], waiting: ["c", "d"]),
        Scenario(name: "an idle file hands its slot to a waiting one, and queues behind it", maxOpen: 2, steps: [
            (.discover(["a", "b", "c"], at: 0), [.open("a"), .open("b")]),
            (.read("a", at: 4), []),
            (.tick(at: 4), []),
            (.tick(at: 5), [.close("b"), .open("c")]),
        ], open: ["a", "c"], waiting: ["b"]),
        Scenario(name: "no waiting file: an idle one keeps its slot however long", maxOpen: 2, steps: [
            (.discover(["a", "b"], at: 0), [.open("a"), .open("b")]),
            (.tick(at: 3600), []),
        ], open: ["a", "b"], waiting: []),
        Scenario(name: "a gone file that has gone idle hands its slot to a waiting one before its release is due", maxOpen: 1, steps: [
            (.discover(["a", "b"], at: 0), [.open("a")]),
            (.read("a", at: 1), []),
            (.gone("a", at: 2), []),
            (.read("a", at: 3), []),  // a batch after the notice: it was still reading
            (.gone("a", at: 4), []),
            (.tick(at: 9), [.close("a"), .open("b")]),  // idle 5 s with one waiting: handed over first
        ], open: ["b"], waiting: ["a"]),
        Scenario(name: "released after the grace when nothing waits", maxOpen: 2, steps: [
            (.discover(["a"], at: 0), [.open("a")]),
            (.gone("a", at: 1), []),
            (.tick(at: 10), []),
            (.tick(at: 11), [.release("a")]),
            (.discover([], at: 12), []),
        ], open: [], waiting: []),
        Scenario(name: "a file that comes back before the grace carries on", maxOpen: 2, steps: [
            (.discover(["a"], at: 0), [.open("a")]),
            (.gone("a", at: 1), []),
            (.present("a"), []),
            (.tick(at: 100), []),
        ], open: ["a"], waiting: []),
        Scenario(name: "found again by the directory listing also counts as back", maxOpen: 2, steps: [
            (.discover(["a"], at: 0), [.open("a")]),
            (.gone("a", at: 1), []),
            (.discover(["a"], at: 5), []),
            (.tick(at: 100), []),
        ], open: ["a"], waiting: []),
        Scenario(name: "a file no longer listed is gone from then, and released after the grace", maxOpen: 2, steps: [
            (.discover(["a", "b"], at: 0), [.open("a"), .open("b")]),
            (.discover(["b"], at: 1), []),
            (.tick(at: 10), []),
            (.tick(at: 11), [.release("a")]),
        ], open: ["b"], waiting: []),
        Scenario(name: "a deleted file whose tail still gives lines (its rest, still open) is not released until it stops", maxOpen: 2, steps: [
            (.discover(["a"], at: 0), [.open("a")]),
            (.discover([], at: 1), []),
            (.read("a", at: 8), []),
            (.tick(at: 12), []),
            (.discover([], at: 13), []),
            (.tick(at: 22), []),
            (.tick(at: 23), [.release("a")]),
        ], open: [], waiting: []),
        Scenario(name: "a tail that ends by itself frees its slot and queues again", maxOpen: 1, steps: [
            (.discover(["a", "b"], at: 0), [.open("a")]),
            (.ended("a", at: 1), [.open("b")]),
        ], open: ["b"], waiting: ["a"]),
    ]

    @Test("scenarios", arguments: scenarios)
    func scenario(_ scenario: Scenario) {
        var state = FileSetState(maxOpen: scenario.maxOpen, releaseAfter: .seconds(10), idleHandover: .seconds(5))
        // Inodes per name, stable across steps.
        let inodes = ["a": 1, "b": 2, "c": 3, "d": 4] as [String: UInt64]
        for (index, (step, expected)) in scenario.steps.enumerated() {
            var actions: [FileSetState.Action] = []
            switch step {
            case .discover(let names, let at):
                actions = state.discovered(names.map { (path: $0, identity: Self.id(inodes[$0]!)) }, now: .seconds(at))
            case .read(let path, let at): state.read(path, identities: nil, now: .seconds(at))
            case .gone(let path, let at): state.gone(path, now: .seconds(at))
            case .present(let path): state.present(path)
            case .ended(let path, let at): actions = state.ended(path, now: .seconds(at))
            case .tick(let at): actions = state.tick(now: .seconds(at))
            }
            #expect(actions == expected, "step \(index + 1): \(step)")
        }
        #expect(state.openPaths == scenario.open.sorted())
        #expect(state.waitingPaths == scenario.waiting)
    }

    @Test("a new name for a tracked file's identity (renamed into the pattern, or a rotated name it matches) is not read twice")
    func renamedNotReadTwice() {
        var state = FileSetState(maxOpen: 4, releaseAfter: .seconds(10))
        #expect(state.discovered([(path: "app.log", identity: Self.id(1))], now: .zero) == [.open("app.log")])
        state.read("app.log", identities: [Self.id(1)], now: .seconds(1))
        // Rotated: app.log.1 is the old file, app.log a new one.
        let after = state.discovered([(path: "app.log", identity: Self.id(2)), (path: "app.log.1", identity: Self.id(1))], now: .seconds(2))
        #expect(after == [])
        // Once app.log's checkpoint says it finished the old file and reads the new one, the old
        // one is still known (it is in the checkpoint's finished list).
        state.read("app.log", identities: [Self.id(2), Self.id(1)], now: .seconds(3))
        #expect(state.discovered([(path: "app.log", identity: Self.id(2)), (path: "app.log.1", identity: Self.id(1))], now: .seconds(4)) == [])
        // A genuinely new file is read.
        #expect(state.discovered([(path: "other.log", identity: Self.id(3))], now: .seconds(5)) == [.open("other.log")])
    }

    @Test("paths resumed from checkpoints are opened first, even when nothing matches them now")
    func resumedFirst() {
        var state = FileSetState(maxOpen: 1, releaseAfter: .seconds(10))
        #expect(state.resumed("old.log", identities: [Self.id(9)], now: .zero) == [.open("old.log")])
        #expect(state.discovered(Self.files(["new.log"]), now: .zero) == [])
        #expect(state.waitingPaths == ["new.log"])
    }

    @Test("the next deadline is the earliest release or, while files wait, the earliest handover")
    func deadlines() {
        var state = FileSetState(maxOpen: 1, releaseAfter: .seconds(10), idleHandover: .seconds(5))
        #expect(state.nextDeadline() == nil)
        _ = state.discovered(Self.files(["a"]), now: .zero)
        #expect(state.nextDeadline() == nil, "nothing waits, nothing is gone")
        state.gone("a", now: .seconds(2))
        #expect(state.nextDeadline() == .seconds(12))
        _ = state.discovered(Self.files(["a", "b"]), now: .seconds(3))
        #expect(state.nextDeadline() == .seconds(5), "a is back (listed), b waits: a's handover at 0 + 5 s")
    }

    @Test("property: whatever happens, never more open than the limit, and no path both open and waiting")
    func invariants() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            var state = FileSetState(maxOpen: Int.random(in: 1...4, using: &generator), releaseAfter: .seconds(10), idleHandover: .seconds(3))
            let names = (0..<8).map { "f\($0)" }
            for time in 0..<100 {
                let now = Duration.seconds(time)
                switch Int.random(in: 0..<6, using: &generator) {
                case 0: _ = state.discovered(names.shuffled().prefix(Int.random(in: 0...8)).map { (path: $0, identity: Self.id(UInt64($0.dropFirst())! + 1)) }, now: now)
                case 1: state.read(names.randomElement()!, identities: nil, now: now)
                case 2: state.gone(names.randomElement()!, now: now)
                case 3: _ = state.ended(names.randomElement()!, now: now)
                case 4: state.present(names.randomElement()!)
                default: _ = state.tick(now: now)
                }
                #expect(state.openPaths.count <= state.maxOpen)
                #expect(Set(state.openPaths).isDisjoint(with: state.waitingPaths))
                #expect(Set(state.waitingPaths).count == state.waitingPaths.count, "a path waits once")
                if state.openPaths.count < state.maxOpen { #expect(state.waitingPaths.isEmpty, "a free slot never stays free while a file waits") }
            }
        }
    }
}
