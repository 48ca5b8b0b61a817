import Foundation
import HeraldHTTP

/// Issue 13's fleet capacity: one Herald consuming a Kafka topic (librdkafka's mock cluster, one
/// broker, 3 partitions, on loopback) into nginx, one POST per event, beside the same Herald
/// tailing a file of as many events. Both rates are timed from the first request nginx counts to
/// the last, so that the group's join (seconds, by Kafka's design) is not in the Kafka figure.
extension DeliveryBench {
    static func kafka(_ options: Options, counter: NginxCounter, events: (path: String, count: Int)) async throws {
        guard let mockPath = options.kafkaMock else {
            report("kafka: skipped (no --kafka-mock)")
            return
        }
        let mock = try KafkaMock(binary: mockPath)
        defer { mock.stop() }
        guard let bootstrap = await mock.bootstrap() else {
            report("kafka: the mock cluster did not start")
            return
        }
        let producing = ContinuousClock.now
        guard await mock.command("produce 0 \(events.count) 1000", timeout: .seconds(600))?.hasPrefix("produced") == true else {
            report("kafka: producing \(events.count) messages failed")
            return
        }
        report(String(format: "kafka: %ld messages produced into the mock cluster in %.1f s", events.count, seconds(ContinuousClock.now - producing)))
        let source = #"kafka: { brokers: ["\#(bootstrap)"], topics: [events], group: bench }"#
        guard let fromKafka = try await steadyRun(herald: options.herald, counter: counter, target: options.target, source: source, count: events.count),
            let fromFile = try await steadyRun(herald: options.herald, counter: counter, target: options.target, source: #"file: "\#(events.path)""#,
                                               count: events.count)
        else { return }
        report("kafka: herald run, file: \(fromFile.summary)")
        report("kafka: herald run, kafka: \(fromKafka.summary)")
        report(String(format: "kafka: one Herald consumes and delivers %.0f events/s from Kafka = %.1f%% of its rate from a file, %.1f µs CPU/event (file %.1f)",
                     fromKafka.rate, fromKafka.rate / fromFile.rate * 100, fromKafka.cpuPerEvent, fromFile.cpuPerEvent))
    }

    /// A run timed from the first delivery counted to the last.
    private static func steadyRun(herald: String, counter: NginxCounter, target: String, source: String, count: Int) async throws -> HeraldRun? {
        let folder = try temporaryFolder("kafka")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try heraldConfig(url: target, source: "", concurrency: 32, retry: "[1s, 5s]", top: "delivery_log: { enabled: false }")
            .replacingOccurrences(of: #"source: { file: "" }"#, with: "source: { \(source) }")
            .write(toFile: folder + "/config.yaml", atomically: true, encoding: .utf8)
        guard await counter.mark() else { throw DeliveryWaitError.nginxSilent }
        let process = try HeraldProcess(herald, config: folder + "/config.yaml")
        var first: ContinuousClock.Instant?
        do {
            try await waitForDeliveries(count, counter: counter, herald: process) {
                if first == nil, (await counter.sinceMark() ?? 0) > 0 { first = .now }
            }
        } catch {
            report("kafka: \(source): \(error)")
            await process.stop()
            return nil
        }
        let elapsed = ContinuousClock.now - (first ?? .now)
        let cpu = process.cpu
        let peak = process.memory.peak
        await process.stop()
        return HeraldRun(rate: Double(count) / max(seconds(elapsed), 0.001), cpu: cpu, events: count, peakRSS: peak)
    }
}

/// `herald-kafka-mock` (the tests' helper): a mock cluster driven over stdin, answering in a file.
final class KafkaMock: @unchecked Sendable {
    private let process = Process()
    private let input = Pipe()
    private let output: String
    private var answered = 1

    init(binary: String) throws {
        output = NSTemporaryDirectory() + "herald-bench-kafka-\(getpid()).out"
        _ = FileManager.default.createFile(atPath: output, contents: nil)
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["--brokers", "1", "--partitions", "3", "--topic", "events"]
        process.standardInput = input
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
        try process.run()
    }

    private var lines: [String] { ((try? String(contentsOfFile: output, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init) }

    func bootstrap() async -> String? {
        guard await waitUntil(deadline: .now + .seconds(30), every: .milliseconds(20), { !self.lines.isEmpty }) else { return nil }
        return lines.first.map { String($0.dropFirst("bootstrap ".count)) }
    }

    func command(_ line: String, timeout: Duration) async -> String? {
        input.fileHandleForWriting.write(Data((line + "\n").utf8))
        answered += 1
        let wanted = answered
        guard await waitUntil(deadline: .now + timeout, every: .milliseconds(50), { self.lines.count >= wanted }) else { return nil }
        return lines[wanted - 1]
    }

    func stop() {
        try? input.fileHandleForWriting.close()
        if process.isRunning { process.terminate() }
        try? FileManager.default.removeItem(atPath: output)
    }
}
