import Foundation

/// librdkafka's mock cluster in a helper process (`herald-kafka-mock`): real Kafka protocol on
/// loopback, a topic made at start, commands (produce, broker down/up) over its stdin. Its answers
/// go to a file that is polled, so no test thread ever blocks on the pipe.
final class KafkaMockCluster: @unchecked Sendable {
    static let binary = HeraldProcess.binary.deletingLastPathComponent().appendingPathComponent("herald-kafka-mock")
    let topic: String
    private let process = Process()
    private let input = Pipe()
    private let outputPath: String
    private(set) var bootstrap = ""
    private var answered = 1

    init(brokers: Int = 1, partitions: Int = 3, topic: String = "events") async throws {
        self.topic = topic
        outputPath = FileManager.default.temporaryDirectory.appendingPathComponent("herald-kafka-\(UUID().uuidString).out").path
        _ = FileManager.default.createFile(atPath: outputPath, contents: nil)
        process.executableURL = Self.binary
        process.arguments = ["--brokers", "\(brokers)", "--partitions", "\(partitions)", "--topic", topic]
        process.standardInput = input
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
        process.standardError = FileHandle.standardError
        try process.run()
        guard await waitUntil(timeout: .seconds(30), { self.lines.count >= 1 }), let first = lines.first, first.hasPrefix("bootstrap ") else {
            throw MockError(description: "the mock cluster did not print its bootstrap address: \(lines)")
        }
        bootstrap = String(first.dropFirst("bootstrap ".count))
    }

    deinit {
        if process.isRunning { process.terminate() }
        try? FileManager.default.removeItem(atPath: outputPath)
    }

    private var lines: [String] {
        ((try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    /// Sends one command and waits for its one-line answer.
    @discardableResult
    func command(_ line: String, timeout: Duration = .seconds(120)) async throws -> String {
        input.fileHandleForWriting.write(Data((line + "\n").utf8))
        answered += 1
        let wanted = answered
        guard await waitUntil(timeout: timeout, { self.lines.count >= wanted }) else { throw MockError(description: "no answer to '\(line)'") }
        let answer = lines[wanted - 1]
        if answer.hasPrefix("error") { throw MockError(description: "'\(line)': \(answer)") }
        return answer
    }

    /// Events `m-FROM`… with keys `k<n % keys>` and `seq` n: in order per key, as Kafka keeps them.
    func produce(from: Int, count: Int, keys: Int) async throws {
        try await command("produce \(from) \(count) \(keys)")
    }

    func stop() {
        try? input.fileHandleForWriting.close()
        if process.isRunning { process.terminate() }
    }

    struct MockError: Error, CustomStringConvertible {
        var description: String
    }

    /// The source for a config: one member of `group`, dropped from it `session` ms after it dies.
    func source(group: String, session: Int = 6000) -> String {
        """
        kafka: { brokers: ["\(bootstrap)"], topics: [\(topic)], group: \(group), options: { session.timeout.ms: "\(session)", heartbeat.interval.ms: "500" } }
        """
    }
}
