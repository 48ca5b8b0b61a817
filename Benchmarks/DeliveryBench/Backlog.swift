import Foundation

/// The backlog measurement: N events pending against a down endpoint, then a restart with them.
struct BacklogRun {
    var journaled: Duration
    var peak: Int
    var current: Int
    var restart: Result<RestartRun, DeliveryWaitError>?
}

/// A restart with the backlog pending and the endpoint back up.
struct RestartRun {
    var firstRequest: Duration
    /// VmHWM three seconds after spawn (or when all were delivered, if sooner).
    var earlyPeak: Int
    /// VmHWM when the first request arrived.
    var peakAtFirst: Int
    var peak: Int
    var rate: Double
}

extension DeliveryBench {
    /// Pending against port 9 on loopback (nothing listens: every attempt is refused). The breaker
    /// opens on the first failure for an hour, so the backlog stays pending with its due time
    /// unchanged, and the few deliveries that were tried retry a second later: after the restart,
    /// every one of them is due.
    static func backlog(herald: String, counter: NginxCounter, target: String, events: (path: String, count: Int)) async throws
        -> BacklogRun?
    {
        let folder = try temporaryFolder("backlog")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let config = folder + "/config.yaml"
        try heraldConfig(url: "http://127.0.0.1:9/down", source: events.path, concurrency: 8, retry: "[1s, 1h]",
                         endpoint: ", breaker: { failures: 1, cooldown: 1h }")
            .write(toFile: config, atomically: true, encoding: .utf8)
        let start = ContinuousClock.now
        let down = try HeraldProcess(herald, config: config)
        let size = fileSize(events.path)
        let journaled = await waitUntil(deadline: start + .seconds(60 + events.count / 2000), every: .milliseconds(100)) {
            !down.isRunning || checkpointOffset(folder + "/state/checkpoint.json") == size
        }
        guard journaled, down.isRunning else {
            report(down.isRunning ? "backlog: timed out before the file was journaled" : "backlog: herald exited early")
            await down.stop()
            return nil
        }
        let elapsed = ContinuousClock.now - start
        try await Task.sleep(for: .seconds(2))
        let usage = down.memory
        if !(await down.stop()) { report("backlog: herald did not stop within 30 s of SIGTERM; killed") }
        var run = BacklogRun(journaled: elapsed, peak: usage.peak, current: usage.current)

        try heraldConfig(url: target, source: events.path, concurrency: 32, retry: "[1s, 5s]")
            .write(toFile: config, atomically: true, encoding: .utf8)
        run.restart = try await restart(herald: herald, config: config, counter: counter, pending: events.count)
        return run
    }

    /// Starts herald on the pending backlog: time to nginx's first counted request, then peak
    /// RSS early on and until all have arrived.
    static func restart(herald: String, config: String, counter: NginxCounter, pending: Int) async throws
        -> Result<RestartRun, DeliveryWaitError>
    {
        guard await counter.mark() else { return .failure(.nginxSilent) }
        let start = ContinuousClock.now
        let process = try HeraldProcess(herald, config: config)
        var first: Duration?
        var peakAtFirst = 0
        var earlyPeak: Int?
        /// Samples VmHWM once, three seconds in, whichever wait below is running then.
        func sampleEarly() {
            if earlyPeak == nil, ContinuousClock.now - start >= .seconds(3) { earlyPeak = process.memory.peak }
        }
        let arrived = await waitUntil(deadline: start + .seconds(30), every: .milliseconds(5)) {
            sampleEarly()
            guard let count = await counter.sinceMark(), count > 0 else { return !process.isRunning }
            first = ContinuousClock.now - start
            peakAtFirst = process.memory.peak
            return true
        }
        guard arrived, let first else {
            let failure: DeliveryWaitError = process.isRunning
                ? .stalled(delivered: 0, expected: pending, after: .seconds(30))
                : .exited(status: process.process.terminationStatus, delivered: 0, expected: pending)
            await process.stop()
            return .failure(failure)
        }
        do {
            try await waitForDeliveries(pending, counter: counter, herald: process) { sampleEarly() }
        } catch {
            await process.stop()
            return .failure(error)
        }
        let elapsed = ContinuousClock.now - start
        let peak = process.memory.peak
        await process.stop()
        return .success(RestartRun(firstRequest: first, earlyPeak: earlyPeak ?? peak, peakAtFirst: peakAtFirst, peak: peak, rate: Double(pending) / seconds(elapsed)))
    }

    static func checkpointOffset(_ path: String) -> Int? {
        guard let data = FileManager.default.contents(atPath: path),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { return nil }
        return object["offset"] as? Int
    }
}
