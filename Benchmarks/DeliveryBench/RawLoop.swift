import Foundation

/// One run of `Benchmarks/RawLoop/raw_loop.c`: the machine's ceiling, measured by a C program so
/// that none of Herald (its HTTPClient included) is in the figure it is compared with.
struct RawRun {
    var rate: Double
    var cpuMicroseconds: Double
    var userMicroseconds: Double
    var systemMicroseconds: Double
    var failed: Int

    /// Runs the loop and parses its `key=value` line; nil (after saying why) if it failed or hung.
    static func measure(binary: String, url: String, requests: Int, inFlight: Int) async -> RawRun? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = [url, String(requests), String(inFlight)]
        let output = Pipe()
        process.standardOutput = output
        do { try process.run() } catch {
            report("raw loop: cannot start \(binary): \(error)")
            return nil
        }
        // Even a slow machine does 1,000 requests/s; past that something is wrong.
        let deadline = ContinuousClock.now + .seconds(60 + requests / 1000)
        guard await waitUntil(deadline: deadline, every: .milliseconds(50), { !process.isRunning }) else {
            process.terminate()
            process.waitUntilExit()
            report("raw loop: timed out")
            return nil
        }
        process.waitUntilExit()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        guard let run = RawRun(parsing: text) else {
            report("raw loop: exit \(process.terminationStatus), unreadable output: \(text)")
            return nil
        }
        return run
    }

    init?(parsing line: String) {
        var values: [String: Double] = [:]
        for pair in line.split(whereSeparator: \.isWhitespace) {
            let parts = pair.split(separator: "=", maxSplits: 1)
            if parts.count == 2, let value = Double(parts[1]) { values[String(parts[0])] = value }
        }
        guard let rate = values["rate"], let cpu = values["cpu_us"], let user = values["user_us"],
            let system = values["sys_us"], let failed = values["failed"]
        else { return nil }
        self.rate = rate
        cpuMicroseconds = cpu
        userMicroseconds = user
        systemMicroseconds = system
        self.failed = Int(failed)
    }

    var summary: String {
        String(format: "%.0f requests/s, %.1f µs CPU/request (user %.1f, sys %.1f)", rate, cpuMicroseconds, userMicroseconds, systemMicroseconds)
            + (failed > 0 ? ", \(failed) failed" : "")
    }
}
