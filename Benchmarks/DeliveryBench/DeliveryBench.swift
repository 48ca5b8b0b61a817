import Foundation
import HeraldHTTP

/// End-to-end delivery benchmark (issue 10); `scripts/bench` builds it, builds the raw loop with
/// gcc, starts nginx and runs it in release mode.
///   herald-delivery-bench --herald PATH --raw-loop PATH --target URL --status URL
///                         [--events N] [--backlog N] [--rounds R] [--observability]
///                         [--only throughput,latency,backlog,ingest,kafka] [--kafka-mock PATH]
/// 1. raw loop: a C program on libcurl's multi interface (32 handles, keep-alive) to the target;
/// 2. end to end: `herald run` tailing a file of N events, journal on, one POST per event,
///    concurrency 32, observability off; its events/s and CPU per event against the raw loop's;
/// 3. the same with `ordering: { key: data.customer.id }` over 1,000 keys;
///    (2) and (3) interleave with the raw loop, R rounds, best of each; `--observability` adds
///    the delivery log and delivery log + admin + metrics variants to every round;
/// 4. latency from a line being appended to its request arriving, at 1,000 events/s;
/// 5. peak RSS with a backlog of N pending events against an endpoint that is down, then a
///    restart with that backlog against nginx: time to the first request, peak RSS;
/// 6. ingest alone (endpoint down): N events journaled from a file, and accepted over HTTP;
/// 7. one Herald consuming N messages from Kafka (librdkafka's mock cluster) into nginx, beside a file.
/// The throughput variants include the events split over 10 files read through one glob.
@main
struct DeliveryBench {
    struct Options {
        var herald: String
        var rawLoop: String
        var target: String
        var status: String
        var events: Int
        var backlog: Int
        var rounds: Int
        var variants: [Variant]
        /// `--only throughput,latency,backlog`: the parts to run (all by default).
        var parts: Set<String>
        /// `--kafka-mock PATH`: the mock cluster helper, for the `kafka` part.
        var kafkaMock: String?
    }

    static func main() async throws {
        guard let options = parseOptions() else {
            report("usage: herald-delivery-bench --herald PATH --raw-loop PATH --target URL --status URL [--events N] [--backlog N] [--rounds R] [--observability] [--only throughput,latency,backlog,ingest,kafka] [--kafka-mock PATH]")
            exit(2)
        }
        let client = try HTTPClient()
        defer { client.shutdown() }
        let counter = NginxCounter(client: client, url: options.status)
        let folder = try temporaryFolder("events")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let events = (path: folder + "/events.jsonl", count: options.events)
        try writeEvents(events.count, to: events.path)

        if options.parts.contains("throughput") { try await throughput(options, counter: counter, events: events) }
        if options.parts.contains("ingest") { try await ingest(herald: options.herald, events: events) }
        if options.parts.contains("kafka") { try await kafka(options, counter: counter, events: events) }
        if options.parts.contains("latency") {
            let latency = try await latency(herald: options.herald, rate: 1000, seconds: 10)
            report(String(format: "latency append -> arrival at 1,000 events/s: p50 %.2f ms, p99 %.2f ms, max %.2f ms (%ld events)",
                         latency.p50, latency.p99, latency.max, latency.count))
        }
        guard options.parts.contains("backlog") else { return }
        var pending = events
        if options.backlog != options.events {
            pending = (folder + "/backlog.jsonl", options.backlog)
            try writeEvents(pending.count, to: pending.path)
        }
        if let run = try await backlog(herald: options.herald, counter: counter, target: options.target, events: pending) {
            printBacklog(run, events: pending.count)
        }
    }

    static func parseOptions() -> Options? {
        let arguments = CommandLine.arguments
        func value(_ flag: String) -> String? {
            arguments.firstIndex(of: flag).flatMap { arguments.indices.contains($0 + 1) ? arguments[$0 + 1] : nil }
        }
        guard let herald = value("--herald"), let rawLoop = value("--raw-loop"), let target = value("--target"),
            let status = value("--status")
        else { return nil }
        let events = value("--events").flatMap(Int.init) ?? 1_000_000
        return Options(
            herald: herald, rawLoop: rawLoop, target: target, status: status, events: events,
            backlog: value("--backlog").flatMap(Int.init) ?? events, rounds: max(1, value("--rounds").flatMap(Int.init) ?? 2),
            variants: arguments.contains("--observability") ? Variant.allCases : [.off, .ordering, .batched, .tenFiles],
            parts: Set((value("--only") ?? "throughput,latency,backlog,ingest,kafka").split(separator: ",").map(String.init)),
            kafkaMock: value("--kafka-mock")
        )
    }

    /// The raw loop and every herald variant, interleaved round by round so that the machine's
    /// noise hits each alike; then the best of each and the ratios the targets are about.
    static func throughput(_ options: Options, counter: NginxCounter, events: (path: String, count: Int)) async throws {
        var raws: [RawRun] = []
        var runs: [Variant: [HeraldRun]] = [:]
        for round in 1...options.rounds {
            if let raw = await RawRun.measure(binary: options.rawLoop, url: options.target, requests: events.count, inFlight: 32) {
                report("round \(round): raw loop, \(events.count) requests: \(raw.summary)")
                raws.append(raw)
            }
            for variant in options.variants {
                do {
                    let run = try await endToEnd(herald: options.herald, counter: counter, target: options.target, events: events, variant: variant)
                    report("round \(round): herald run, \(variant.rawValue): \(run.summary)")
                    runs[variant, default: []].append(run)
                } catch {
                    report("round \(round): herald run, \(variant.rawValue): \(error)")
                }
            }
        }
        printSummary(raws: raws, runs: runs, options: options)
    }

    static func printSummary(raws: [RawRun], runs: [Variant: [HeraldRun]], options: Options) {
        report("== best of \(options.rounds) rounds, \(options.events) events (rate: highest; CPU: lowest; RSS: highest)")
        guard let rawRate = raws.map(\.rate).max(), let rawCPU = raws.map(\.cpuMicroseconds).min() else {
            report("raw loop: no successful run")
            return
        }
        report(String(format: "raw C libcurl multi loop, 32 handles, keep-alive: %.0f requests/s, %.1f µs CPU/request", rawRate, rawCPU))
        let bare = runs[.off]?.map(\.rate).max()
        for variant in options.variants {
            guard let variantRuns = runs[variant], let rate = variantRuns.map(\.rate).max(),
                let cpu = variantRuns.map(\.cpuPerEvent).min(), let peak = variantRuns.map(\.peakRSS).max()
            else {
                report("herald run, \(variant.rawValue): no successful run")
                continue
            }
            var line = String(format: "herald run, %@: %.0f events/s, %.1f µs CPU/event, peak RSS %ld MiB; events/s ÷ raw requests/s %.1f%%",
                              variant.rawValue, rate, cpu, mib(peak), rate / rawRate * 100)
            switch variant {
            case .off: line += String(format: " (target ≥ 85%%); CPU/event ÷ raw CPU/request %.2f× (target ≤ 1.5×)", cpu / rawCPU)
            case .ordering: line += " (target ≥ 70%)"
            case .batched: if let bare { line += String(format: "; %.1f× the one-request-per-event figure (target ≥ 5×)", rate / bare) }
            case .log, .all: if let bare { line += String(format: "; costs %.1f%% against off", (1 - rate / bare) * 100) }
            case .tenFiles: if let bare { line += String(format: "; %.1f%% of the single file's rate (target ≥ 90%%)", rate / bare * 100) }
            }
            report(line)
        }
    }

    static func printBacklog(_ run: BacklogRun, events: Int) {
        report(String(format: "backlog: %ld events pending against a down endpoint, journaled in %.1f s: peak RSS %ld MiB (now %ld MiB)",
                     events, seconds(run.journaled), mib(run.peak), mib(run.current)))
        switch run.restart {
        case .success(let restart):
            report(String(format: "restart with %ld pending, endpoint up: first request after %.2f s (target ≤ 2 s); peak RSS %ld MiB at the first request, %ld MiB in the first 3 s, %ld MiB until all were delivered (target ≤ 64 MiB); drained at %.0f events/s",
                         events, seconds(restart.firstRequest), mib(restart.peakAtFirst), mib(restart.earlyPeak), mib(restart.peak), restart.rate))
        case .failure(let error):
            report("restart with \(events) pending: \(error)")
        case nil:
            break
        }
    }
}
