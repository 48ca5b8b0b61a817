import Testing

@testable import HeraldSource

@Suite("inotify record parsing")
struct InotifyRecordTests {
    private func record(watch: Int32, mask: UInt32, cookie: UInt32 = 0, name: String, padTo: Int) -> [UInt8] {
        var bytes: [UInt8] = []
        withUnsafeBytes(of: watch) { bytes += $0 }
        withUnsafeBytes(of: mask) { bytes += $0 }
        withUnsafeBytes(of: cookie) { bytes += $0 }
        withUnsafeBytes(of: UInt32(padTo)) { bytes += $0 }
        var nameBytes = Array(name.utf8)
        nameBytes += [UInt8](repeating: 0, count: padTo - nameBytes.count)
        return bytes + nameBytes
    }

    @Test("records are split by their length field and names lose their NUL padding")
    func parsesRecords() {
        let buffer =
            record(watch: 1, mask: 0x2, name: "app.log", padTo: 16)
            + record(watch: 1, mask: 0x40, cookie: 9, name: "app.log.1", padTo: 16)
            + record(watch: -1, mask: InotifyRecord.queueOverflow, name: "", padTo: 0)
        let records = buffer.withUnsafeBytes { InotifyRecord.parse($0) }
        #expect(
            records == [
                InotifyRecord(watch: 1, mask: 0x2, cookie: 0, name: Array("app.log".utf8)),
                InotifyRecord(watch: 1, mask: 0x40, cookie: 9, name: Array("app.log.1".utf8)),
                InotifyRecord(watch: -1, mask: InotifyRecord.queueOverflow, cookie: 0, name: []),
            ]
        )
    }

    @Test("a truncated trailing record is ignored")
    func truncatedRecord() {
        let buffer =
            record(watch: 1, mask: 0x2, name: "a", padTo: 16)
            + record(watch: 1, mask: 0x2, name: "b", padTo: 16).prefix(20)
        let records = buffer.withUnsafeBytes { InotifyRecord.parse($0) }
        #expect(records.count == 1)
    }
}
