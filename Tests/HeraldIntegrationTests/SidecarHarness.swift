import Foundation

/// A temporary folder with a config, an events file and a state_dir, and `herald run` spawned on
/// it as a real process (so it can be sent SIGTERM or killed with -9).
final class SidecarHarness: @unchecked Sendable {
    let folder: URL
    var configPath: String { folder.appendingPathComponent("config.yaml").path }
    var eventsPath: String { folder.appendingPathComponent("events.jsonl").path }
    var stateDir: String { folder.appendingPathComponent("state").path }
    var logPath: String { folder.appendingPathComponent("herald.log").path }
    private(set) var process: Process?

    init(config: String) throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("herald-it-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try config.write(toFile: configPath, atomically: true, encoding: .utf8)
        _ = FileManager.default.createFile(atPath: eventsPath, contents: nil)
    }

    deinit {
        if let process, process.isRunning { kill(process.processIdentifier, SIGKILL) }
        if ProcessInfo.processInfo.environment["HERALD_KEEP_TEST_DIRS"] == nil { try? FileManager.default.removeItem(at: folder) }
    }

    /// A config that tails `events.jsonl` into `state/` and sends everything to `url`. The default timeout is
    /// long so that a receiver answering late on a loaded machine is not retried (and seen twice).
    static func config(url: String, extraEndpoint: String = "", retry: String = "[100ms, 200ms, 300ms]", timeout: String = "10s", source: String = "file: ./events.jsonl") -> String {
        """
        version: 1
        state_dir: ./state
        shutdown_grace: 3s
        source: { \(source) }
        endpoints:
          receiver:
            url: "\(url)"
            timeout: \(timeout)
            concurrency: 8
            retry: { schedule: \(retry), max_age: 1h }
        \(extraEndpoint)
        routes:
          - { name: all, events: ["*"], to: receiver }
        """
    }

    /// One endpoint, `receiver`, at `url` with `settings` (YAML lines), and a route that sends it everything.
    static func config(url: String, settings: String) -> String {
        let indented = settings.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n")
        return """
            version: 1
            state_dir: ./state
            source: { file: ./events.jsonl }
            endpoints:
              receiver:
                url: "\(url)"
            \(indented)
            routes:
              - { name: all, events: ["*"], to: receiver }
            """
    }

    func append(_ lines: [String]) throws {
        try append(Data(lines.map { $0 + "\n" }.joined().utf8))
    }

    func append(_ data: Data) throws {
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: eventsPath))
        try handle.seekToEnd()
        try handle.write(contentsOf: data)
        try handle.close()
    }

    /// Starts `herald run`; stderr (the log) goes to `herald.log`, appended across restarts.
    /// `wrapper`: a command that execs Herald (e.g. `fiu-run -x` for fault injection), so the pid stays Herald's.
    func start(arguments: [String] = [], stdin: FileHandle? = nil, config: String? = nil, environment: [String: String] = [:],
               wrapper: [String] = []) throws {
        let process = Process()
        let run = ["run", "-c", config ?? configPath] + arguments
        if let command = wrapper.first {
            process.executableURL = URL(fileURLWithPath: command)
            process.arguments = Array(wrapper.dropFirst()) + [HeraldProcess.binary.path] + run
        } else {
            process.executableURL = HeraldProcess.binary
            process.arguments = run
        }
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        process.currentDirectoryURL = folder
        if !FileManager.default.fileExists(atPath: logPath) { _ = FileManager.default.createFile(atPath: logPath, contents: nil) }
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        try log.seekToEnd()
        process.standardError = log
        process.standardOutput = log
        process.standardInput = stdin ?? FileHandle.nullDevice
        try process.run()
        self.process = process
    }

    func signal(_ number: Int32) {
        if let process { kill(process.processIdentifier, number) }
    }

    /// Waits for the process to exit; nil when it is still running after `timeout` (generous: a loaded machine
    /// can be many times slower than an idle one, and a passing test returns as soon as the process is gone).
    func waitForExit(timeout: Duration = .seconds(60)) async -> Int32? {
        guard let process, await waitUntil(timeout: timeout, { !process.isRunning }) else { return nil }
        return process.terminationStatus
    }

    /// Replaces the config file the way an editor that saves atomically does.
    func rewriteConfig(_ text: String) throws {
        try text.write(toFile: configPath, atomically: true, encoding: .utf8)
    }

    /// Log lines whose message is `message`.
    func logCount(_ message: String) -> Int {
        log.components(separatedBy: "msg=\"\(message)\"").count - 1
    }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// Appends `text` to the run log (between runs: a marker a test reads back).
    func appendToLog(_ text: String) throws {
        if !FileManager.default.fileExists(atPath: logPath) { _ = FileManager.default.createFile(atPath: logPath, contents: nil) }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(text.utf8))
        try handle.close()
    }

    func dead(_ arguments: [String]) async throws -> HeraldProcess.Output {
        try await HeraldProcess.run(["dead"] + arguments + ["-c", configPath], directory: folder)
    }
}
