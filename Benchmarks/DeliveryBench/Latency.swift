import Foundation
import HeraldHTTP

extension DeliveryBench {
    /// Events appended at `rate` per second for `duration` seconds to a file `herald run` tails;
    /// each carries its append time (CLOCK_MONOTONIC) and a receiver in this process records the
    /// arrival time.
    static func latency(herald: String, rate: Int, seconds duration: Int) async throws -> (p50: Double, p99: Double, max: Double, count: Int) {
        let samples = LockedSamples()
        let server = try HTTPServer(host: "127.0.0.1", port: 0) { request in
            let now = monotonicNanoseconds()
            if let text = String(bytes: request.body, encoding: .utf8), let range = text.range(of: #""t":"#) {
                let digits = text[range.upperBound...].prefix { $0.isNumber }
                if let sent = UInt64(digits) { samples.add(Double(now - sent) / 1e6) }
            }
            return ServerResponse(status: 204)
        }
        defer { server.stop() }
        let folder = try temporaryFolder("latency")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let events = folder + "/events.jsonl"
        try heraldConfig(url: server.baseURL + "/hooks", source: events, concurrency: 8, retry: "[1s]")
            .write(toFile: folder + "/config.yaml", atomically: true, encoding: .utf8)
        _ = FileManager.default.createFile(atPath: events, contents: nil)
        let process = try HeraldProcess(herald, config: folder + "/config.yaml")
        try await Task.sleep(for: .milliseconds(500))
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: events))
        let total = rate * duration
        let start = ContinuousClock.now
        for index in 0..<total {
            let due = start + .nanoseconds(Int64(index) * 1_000_000_000 / Int64(rate))
            let wait = due - ContinuousClock.now
            if wait > .zero { try await Task.sleep(for: wait) }
            try handle.write(contentsOf: Data(#"{"type":"tick","id":"l-\#(index)","t":\#(monotonicNanoseconds())}"#.utf8 + [0x0A]))
        }
        try handle.close()
        _ = await waitUntil(deadline: .now + .seconds(10)) { samples.count >= total }
        await process.stop()
        let sorted = samples.values.sorted()
        guard !sorted.isEmpty else { return (0, 0, 0, 0) }
        return (sorted[sorted.count / 2], sorted[min(sorted.count - 1, sorted.count * 99 / 100)], sorted.last!, sorted.count)
    }
}

/// Latency samples collected on the receiver's threads.
final class LockedSamples: @unchecked Sendable {
    private let lock = NSLock()
    private var samples: [Double] = []
    func add(_ value: Double) { lock.withLock { samples.append(value) } }
    var count: Int { lock.withLock { samples.count } }
    var values: [Double] { lock.withLock { samples } }
}
