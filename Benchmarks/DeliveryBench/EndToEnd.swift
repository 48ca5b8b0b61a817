import Foundation
import HeraldHTTP

/// What of Herald runs during an end-to-end measurement, beside file → journal → POST.
enum Variant: String, CaseIterable {
    case off = "observability off"
    case ordering = "ordering by data.customer.id (1,000 keys), observability off"
    case log = "delivery log on, admin off"
    case all = "delivery log + admin + metrics on"
    case batched = "batch: { max_events: 100 } (JSON arrays), observability off"
    case tenFiles = "the same events in 10 files read through one glob, observability off"

    /// Fields added to the endpoint.
    var endpointFields: String {
        switch self {
        case .ordering: ", ordering: { key: data.customer.id }"
        case .batched: ", batch: { max_events: 100, max_wait: 200ms }"
        default: ""
        }
    }

    /// Requests nginx counts for `events` events.
    func requests(for events: Int) -> Int { self == .batched ? (events + 99) / 100 : events }
}

/// One `herald run` delivering a whole file.
struct HeraldRun {
    var rate: Double
    var cpu: (user: Double, system: Double)
    var events: Int
    var peakRSS: Int
    /// The `delivered` count /metrics reported, when the admin listener ran.
    var delivered: Int?

    var cpuPerEvent: Double { (cpu.user + cpu.system) / Double(events) }

    var summary: String {
        String(format: "%.0f events/s, %.1f µs CPU/event (user %.1f, sys %.1f), peak RSS %ld MiB", rate, cpuPerEvent,
               cpu.user / Double(events), cpu.system / Double(events), mib(peakRSS))
            + (delivered.map { ", /metrics counted \($0) delivered" } ?? "")
    }
}

/// Why a wait for deliveries ended without all of them.
enum DeliveryWaitError: Error, CustomStringConvertible {
    case stalled(delivered: Int, expected: Int, after: Duration)
    case exited(status: Int32, delivered: Int, expected: Int)
    case nginxSilent

    var description: String {
        switch self {
        case .stalled(let delivered, let expected, let after):
            "timed out: \(delivered) of \(expected) delivered, none for \(Int(seconds(after))) s"
        case .exited(let status, let delivered, let expected): "herald exited (status \(status)) after \(delivered) of \(expected)"
        case .nginxSilent: "nginx's stub_status did not answer"
        }
    }
}

/// Waits until nginx has counted `expected` requests since the counter's mark, calling `tick`
/// on each poll. Gives up when nothing arrives for `stall`, or herald exits.
func waitForDeliveries(_ expected: Int, counter: NginxCounter, herald: HeraldProcess, stall: Duration = .seconds(30),
                       tick: () async -> Void = {}) async throws(DeliveryWaitError) {
    var delivered = 0
    var progressed = ContinuousClock.now
    while delivered < expected {
        guard herald.isRunning else { throw .exited(status: herald.process.terminationStatus, delivered: delivered, expected: expected) }
        guard let now = await counter.sinceMark() else { throw .nginxSilent }
        if now > delivered { progressed = .now }
        delivered = now
        if ContinuousClock.now - progressed > stall { throw .stalled(delivered: delivered, expected: expected, after: stall) }
        await tick()
        try? await Task.sleep(for: .milliseconds(20))
    }
}

extension DeliveryBench {
    /// `herald run` from a fresh state directory over the whole events file; events/s from
    /// spawn until nginx has counted every event, CPU and peak RSS read just before SIGTERM.
    static func endToEnd(herald: String, counter: NginxCounter, target: String, events: (path: String, count: Int),
                         variant: Variant) async throws -> HeraldRun {
        let folder = try temporaryFolder("e2e")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let (top, adminURL) = try observability(variant)
        var source = events.path
        if variant == .tenFiles { source = try splitIntoFiles(events.path, count: 10, in: folder + "/logs") + "/*.jsonl" }
        try heraldConfig(url: target, source: source, concurrency: 32, retry: "[1s, 5s]", endpoint: variant.endpointFields, top: top)
            .write(toFile: folder + "/config.yaml", atomically: true, encoding: .utf8)
        guard await counter.mark() else { throw DeliveryWaitError.nginxSilent }
        let start = ContinuousClock.now
        let process = try HeraldProcess(herald, config: folder + "/config.yaml")
        var lastScrape = start
        do {
            try await waitForDeliveries(variant.requests(for: events.count), counter: counter, herald: process) {
                guard let adminURL, ContinuousClock.now - lastScrape >= .seconds(1) else { return }
                _ = await counter.client.send(HTTPRequest(method: "GET", url: adminURL, timeout: .seconds(5)))
                lastScrape = .now
            }
        } catch {
            await process.stop()
            throw error
        }
        let elapsed = ContinuousClock.now - start
        let cpu = process.cpu
        let peak = process.memory.peak
        var delivered: Int?
        if let adminURL { delivered = try await deliveredCount(client: counter.client, adminURL: adminURL) }
        await process.stop()
        return HeraldRun(rate: Double(events.count) / seconds(elapsed), cpu: cpu, events: events.count, peakRSS: peak, delivered: delivered)
    }

    /// The events file's lines dealt into `count` files of about equal size (contiguous runs).
    static func splitIntoFiles(_ path: String, count: Int, in directory: String) throws -> String {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        let per = (lines.count + count - 1) / count
        for index in 0..<count {
            let part = lines[min(lines.count, index * per)..<min(lines.count, (index + 1) * per)]
            try Data((part.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: "\(directory)/part-\(index).jsonl"))
        }
        return directory
    }

    /// The top-level config lines of a variant and, with the admin listener on, its /metrics URL.
    static func observability(_ variant: Variant) throws -> (top: String, adminURL: String?) {
        switch variant {
        case .off, .ordering, .batched, .tenFiles:
            return ("delivery_log: { enabled: false }", nil)
        case .log:
            return ("", nil)
        case .all:
            let probe = try HTTPServer(host: "127.0.0.1", port: 0) { _ in ServerResponse(status: 204) }
            probe.stop()
            return ("admin: { listen: \"127.0.0.1:\(probe.port)\" }", "http://127.0.0.1:\(probe.port)/metrics")
        }
    }

    /// Herald's own count of delivered events, to check against nginx's.
    static func deliveredCount(client: HTTPClient, adminURL: String) async throws -> Int? {
        try await Task.sleep(for: .milliseconds(200))
        let metrics = String(decoding: await client.send(HTTPRequest(method: "GET", url: adminURL, timeout: .seconds(5))).body, as: UTF8.self)
        let line = metrics.split(separator: "\n").first { $0.hasPrefix(#"herald_deliveries_total{endpoint="target",outcome="delivered"}"#) }
        return line?.split(separator: " ").last.flatMap { Int($0) }
    }
}
