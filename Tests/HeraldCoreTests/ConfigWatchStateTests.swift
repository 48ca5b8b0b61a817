import Testing

@testable import HeraldCore

@Suite("config watch")
struct ConfigWatchStateTests {
    func stamp(inode: UInt64 = 1, size: Int64 = 100, modified: Int64 = 5) -> FileStamp {
        FileStamp(device: 1, inode: inode, size: size, modifiedNanoseconds: modified)
    }

    /// Whether each look in turn reloads.
    func reloads(from initial: FileStamp?, _ looks: [FileStamp?]) -> [Bool] {
        var watch = ConfigWatchState(initial: initial)
        return looks.map { watch.observe($0) }
    }

    @Test("a change reloads once it has stayed the same for one more look; half-written files wait")
    func settles() {
        let changed = stamp(size: 120, modified: 7)
        #expect(reloads(from: stamp(), [stamp(), stamp(size: 50, modified: 6), changed, changed, changed]) == [false, false, false, true, false])
    }

    @Test("a symlink swap (new inode) and a vanished file mid-swap")
    func swap() {
        #expect(reloads(from: stamp(inode: 1), [nil, stamp(inode: 2), stamp(inode: 2), stamp(inode: 2)]) == [false, false, true, false])
    }

    @Test("a file that changes back before it settles is not reloaded")
    func changesBack() {
        #expect(reloads(from: stamp(), [stamp(modified: 9), stamp(), stamp()]) == [false, false, false])
    }
}
