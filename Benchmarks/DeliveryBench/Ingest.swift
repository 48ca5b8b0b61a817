import Foundation
import HeraldHTTP

/// Issue 13's ingest comparison: the same N events journaled from a file, and accepted over HTTP
/// (`POST /events`, NDJSON of 100 events, 8 clients, each answered `202` once fsynced), both
/// against a down endpoint so that only ingest runs. Times from spawn to the last event journaled.
extension DeliveryBench {
    static func ingest(herald: String, events: (path: String, count: Int)) async throws {
        guard let file = try await journalFromFile(herald: herald, events: events) else { return }
        report(String(format: "ingest: %ld events journaled from a file in %.2f s: %.0f events/s", events.count, seconds(file), Double(events.count) / seconds(file)))
        guard let http = try await journalFromHTTP(herald: herald, events: events) else { return }
        report(String(format: "ingest: %ld events accepted over HTTP (NDJSON of 100, 8 clients, 202 once fsynced) in %.2f s: %.0f events/s = %.1f%% of the file's rate (target ≥ 80%%)",
                     events.count, seconds(http), Double(events.count) / seconds(http), seconds(file) / seconds(http) * 100))
    }

    static let downEndpoint = "http://127.0.0.1:9/down"

    private static func journalFromFile(herald: String, events: (path: String, count: Int)) async throws -> Duration? {
        let folder = try temporaryFolder("ingest-file")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try heraldConfig(url: downEndpoint, source: events.path, concurrency: 8, retry: "[1h]", endpoint: ", breaker: { failures: 1, cooldown: 1h }",
                         top: "delivery_log: { enabled: false }")
            .write(toFile: folder + "/config.yaml", atomically: true, encoding: .utf8)
        let start = ContinuousClock.now
        let process = try HeraldProcess(herald, config: folder + "/config.yaml")
        let size = fileSize(events.path)
        let done = await waitUntil(deadline: start + .seconds(60 + events.count / 2000), every: .milliseconds(10)) {
            !process.isRunning || checkpointOffset(folder + "/state/checkpoint.json") == size
        }
        let elapsed = ContinuousClock.now - start
        await process.stop()
        guard done else {
            report("ingest from a file: timed out or herald exited")
            return nil
        }
        return elapsed
    }

    private static func journalFromHTTP(herald: String, events: (path: String, count: Int)) async throws -> Duration? {
        let folder = try temporaryFolder("ingest-http")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let probe = try HTTPServer(host: "127.0.0.1", port: 0) { _ in ServerResponse(status: 204) }
        probe.stop()
        let config = heraldConfig(url: downEndpoint, source: "", concurrency: 8, retry: "[1h]", endpoint: ", breaker: { failures: 1, cooldown: 1h }",
                                  top: "delivery_log: { enabled: false }")
            .replacingOccurrences(of: #"source: { file: "" }"#, with: #"source: { http: { listen: "127.0.0.1:\#(probe.port)" } }"#)
        try config.write(toFile: folder + "/config.yaml", atomically: true, encoding: .utf8)
        // Bodies of 100 lines, ready before the clock starts.
        let lines = try String(contentsOfFile: events.path, encoding: .utf8).split(separator: "\n")
        let bodies = stride(from: 0, to: lines.count, by: 100).map { Array(lines[$0..<min(lines.count, $0 + 100)].joined(separator: "\n").utf8) }
        let client = try HTTPClient()
        defer { client.shutdown() }
        let url = "http://127.0.0.1:\(probe.port)/events"
        let start = ContinuousClock.now
        let process = try HeraldProcess(herald, config: folder + "/config.yaml")
        let listening = await waitUntil(deadline: start + .seconds(30), every: .milliseconds(5)) {
            await client.send(HTTPRequest(method: "POST", url: url, headers: [HTTPHeader("Content-Type", "application/x-ndjson")], body: [], timeout: .seconds(5))).status != nil
        }
        guard listening else {
            report("ingest over HTTP: herald did not listen")
            await process.stop()
            return nil
        }
        let next = Counter()
        let failures = Counter()
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    while case let index = next.increment(), index < bodies.count {
                        while true {
                            let result = await client.send(HTTPRequest(method: "POST", url: url, headers: [HTTPHeader("Content-Type", "application/x-ndjson")],
                                                                       body: bodies[index], timeout: .seconds(60)))
                            if result.status == 202 { break }
                            if failures.increment() < 3 { report("ingest over HTTP: answered \(result.status.map(String.init) ?? "nothing"); sending again") }
                            try? await Task.sleep(for: .milliseconds(100))
                        }
                    }
                }
            }
        }
        let elapsed = ContinuousClock.now - start
        await process.stop()
        return elapsed
    }
}

/// A shared counter for the client tasks.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0

    /// The value before this call's increment.
    func increment() -> Int {
        lock.lock()
        defer { lock.unlock() }
        value += 1
        return value - 1
    }
}
