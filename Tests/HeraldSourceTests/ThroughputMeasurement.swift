import Foundation
import Glibc
import HeraldSource
import Testing

/// A hand-run measurement, not a timed test: it prints figures and asserts only that every line came.
/// Run: `HERALD_SOURCE_BENCH=1 swift test -c release --filter ThroughputMeasurement`
@Suite("ThroughputMeasurement", .enabled(if: ProcessInfo.processInfo.environment["HERALD_SOURCE_BENCH"] != nil))
struct ThroughputMeasurement {
    @Test("FileTail reads a 1,000,000-line file of 400-byte lines")
    func readWholeFile() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("events.log")
        let count = 1_000_000
        let writer = Writer(path)
        var buffer: [UInt8] = []
        for n in 1...count {
            var line = Array("{\"type\":\"order.created\",\"id\":\(n),\"payload\":\"".utf8)
            line += [UInt8](repeating: UInt8(ascii: "a") + UInt8(n % 26), count: 397 - line.count)
            line += Array("\"}\n".utf8)
            buffer += line
            if buffer.count >= 1 << 20 {
                writer.write(buffer)
                buffer.removeAll(keepingCapacity: true)
            }
        }
        writer.write(buffer)
        for round in 1...3 {
            let tail = FileTail(FileTail.Configuration(path: path))
            let start = ContinuousClock.now
            var lines = 0
            var bytes = 0
            while lines < count, let batch = try await tail.next() {
                lines += batch.lines.count
                for line in batch.lines { bytes += line.bytes.count }
            }
            let seconds = (ContinuousClock.now - start) / .seconds(1)
            tail.stop()
            #expect(lines == count)
            print(
                "FileTail round \(round): \(lines) lines, \(bytes / 1_000_000) MB in \(seconds) s = "
                    + "\(Int(Double(lines) / seconds)) lines/s"
            )
        }
    }
}
