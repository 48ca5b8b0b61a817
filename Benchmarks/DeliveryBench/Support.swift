import Foundation
import HeraldHTTP

/// A `herald run` child process, with what the benchmark reads of it from /proc.
struct HeraldProcess {
    let process: Process

    /// Starts `herald run -c CONFIG`, quiet: its log would cost the benchmark, not Herald.
    init(_ herald: String, config: String) throws {
        process = Process()
        process.executableURL = URL(fileURLWithPath: herald)
        process.arguments = ["run", "-c", config, "--log-level", "error"]
        process.standardError = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        try process.run()
    }

    var pid: Int32 { process.processIdentifier }
    var isRunning: Bool { process.isRunning }

    /// VmHWM and VmRSS, in KiB.
    var memory: (peak: Int, current: Int) {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return (0, 0) }
        func field(_ name: String) -> Int {
            status.split(separator: "\n").first { $0.hasPrefix(name) }
                .flatMap { Int($0.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") } ?? 0
        }
        return (field("VmHWM:"), field("VmRSS:"))
    }

    /// Herald's own user and system CPU time so far, in µs (utime and stime of /proc/PID/stat,
    /// every thread included). Read before stopping it, so that shutdown does not count.
    var cpu: (user: Double, system: Double) {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return (0, 0) }
        // After "pid (comm)": state is field 3, utime field 14, stime field 15.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return (0, 0) }
        let tick = 1e6 / Double(sysconf(Int32(_SC_CLK_TCK)))
        return (user * tick, system * tick)
    }

    /// SIGTERM, then up to `grace` for a clean exit, then SIGKILL; false if it had to be killed.
    @discardableResult
    func stop(grace: Duration = .seconds(30)) async -> Bool {
        guard process.isRunning else { return true }
        process.terminate()
        if await waitUntil(deadline: .now + grace, { !process.isRunning }) {
            process.waitUntilExit()
            return true
        }
        kill(pid, SIGKILL)
        process.waitUntilExit()
        return false
    }
}

/// Polls `condition` every `interval` until it holds (true) or `deadline` passes (false): no
/// wait of the benchmark is unbounded.
func waitUntil(deadline: ContinuousClock.Instant, every interval: Duration = .milliseconds(20),
               _ condition: () async throws -> Bool) async rethrows -> Bool {
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: interval)
    }
    return try await condition()
}

/// Counts the requests nginx has handled since `mark()`, from stub_status. Each status request
/// counts itself, so the counter subtracts its own polls: what is left is what the client sent.
final class NginxCounter {
    let client: HTTPClient
    let url: String
    private var base = 0
    private var polls = 0

    init(client: HTTPClient, url: String) {
        self.client = client
        self.url = url
    }

    /// Starts counting from now; false if nginx did not answer.
    func mark() async -> Bool {
        guard let now = await handled() else { return false }
        base = now
        polls = 0
        return true
    }

    /// Requests other than the counter's own since `mark()`; nil if nginx did not answer.
    func sinceMark() async -> Int? {
        guard let now = await handled() else { return nil }
        polls += 1
        return now - base - polls
    }

    /// nginx's total, this status request included.
    private func handled() async -> Int? {
        let result = await client.send(HTTPRequest(method: "GET", url: url, timeout: .seconds(5)))
        let text = String(decoding: result.body, as: UTF8.self)
        // "Active connections: 1 \nserver accepts handled requests\n 5 5 12 \n..."
        let lines = text.split(separator: "\n")
        guard lines.count >= 3 else { return nil }
        let numbers = lines[2].split(separator: " ")
        return numbers.count >= 3 ? Int(numbers[2]) : nil
    }
}

/// The events every delivery run tails: ~300-byte orders with 1,000 distinct customer ids, so
/// the ordering run has 1,000 keys. Written in chunks: a million lines are 300 MB.
func writeEvents(_ count: Int, to path: String) throws {
    _ = FileManager.default.createFile(atPath: path, contents: nil)
    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
    defer { try? handle.close() }
    var chunk = ""
    for index in 0..<count {
        chunk += #"{"type":"order.created","id":"e-\#(index)","data":{"order_id":\#(index),"currency":"EUR","customer":{"id":"c-\#(index % 1000)","email":"someone@example.com"},"items":[{"sku":"SKU-1","qty":2,"price_cents":1299}],"note":"padding to three hundred bytes of payload in total"}}"#
        chunk += "\n"
        if chunk.utf8.count >= 1 << 20 {
            try handle.write(contentsOf: Data(chunk.utf8))
            chunk = ""
        }
    }
    try handle.write(contentsOf: Data(chunk.utf8))
}

/// A one-endpoint, one-route config; `endpoint` and `top` add fields to the endpoint and the file.
func heraldConfig(url: String, source: String, concurrency: Int, retry: String, timeout: String = "10s",
                  endpoint: String = "", top: String = "") -> String {
    """
    version: 1
    state_dir: ./state
    source: { file: "\(source)" }
    endpoints:
      target: { url: "\(url)", concurrency: \(concurrency), timeout: \(timeout), retry: { schedule: \(retry), max_age: 3d }\(endpoint) }
    routes:
      - { name: all, events: ["*"], to: target }
    \(top)
    """
}

func temporaryFolder(_ name: String) throws -> String {
    let path = NSTemporaryDirectory() + "herald-bench-\(name)-\(getpid())"
    try? FileManager.default.removeItem(atPath: path)
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

func fileSize(_ path: String) -> Int {
    (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
}

func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

func monotonicNanoseconds() -> UInt64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
}

/// KiB as MiB, for printing.
func mib(_ kib: Int) -> Int { kib >> 10 }

/// Prints a line straight to file descriptor 1: `print` buffers when stdout is a file or pipe,
/// and a run takes minutes, so its progress should show as it goes.
func report(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
