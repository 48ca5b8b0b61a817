import Foundation
import HeraldHTTP
import Testing

/// Faults that a test cannot produce naturally, injected into the running binary with libfiu
/// (`fiu-run -x` preloads its POSIX wrappers; `fiu-ctrl` turns a failure point on and off in the
/// running process). `scripts/test` installs Debian's fiu-utils.
///
/// A failure point fails a POSIX call everywhere in the process, so each test picks the call
/// that only the operation under test makes, and Herald's own stderr log (`write`) and sockets go
/// on working: journal appends are Herald's only `pwrite`s and journal syncs its only
/// `fdatasync`s; payloads are read back with `pread`; new state files (checkpoint, dead letters)
/// are created with `open` and made durable with `fsync`. Each test checks the same things: the
/// error in the log, once for the whole episode, and the line that ends it; the count in
/// `herald_io_errors_total`; the process still running; and every event delivered exactly once
/// after the fault clears.
@Suite("faults injected into a running herald: nothing is dropped", .serialized)
struct FaultInjectionTests {
    static let fiuRun = "/usr/bin/fiu-run"
    static var available: Bool { FileManager.default.isExecutableFile(atPath: fiuRun) }

    @Test("an I/O error (EIO) on the journal's append: the source is held, nothing unjournaled is sent, and all goes out once when it clears",
          .enabled(if: available, "needs fiu-run (Debian's fiu-utils)"))
    func eioOnJournalAppend() async throws {
        let (_, receiver) = try await journalFault("posix/io/rw/pwrite", operation: "journal_append")
        receiver.stop()
    }

    /// After a failed fdatasync the journal trusts neither the batch's bytes nor a later sync of that
    /// file: the batch is cut off, the segment sealed, and the retry goes into a new segment.
    @Test("an I/O error (EIO) on the journal's fdatasync: the batch is written again into a new segment, nothing lost or sent twice, across a restart too",
          .enabled(if: available, "needs fiu-run (Debian's fiu-utils)"))
    func eioOnJournalSync() async throws {
        let (herald, receiver) = try await journalFault("posix/io/sync/fdatasync", operation: "journal_fsync")
        defer { receiver.stop() }
        let segments = try FileManager.default.contentsOfDirectory(atPath: herald.harness.stateDir + "/journal").filter { $0.hasPrefix("segment-") }
        #expect(segments.contains { $0 != "segment-00000001.log" }, "the segment whose sync failed takes no more writes: \(segments)")
        // A restart reads the sealed segment and its successor as they are: no damage, no torn tail, nothing re-sent.
        let before = herald.harness.log
        try herald.harness.start()
        try herald.harness.append([#"{"type":"t","id":"after-restart"}"#])
        #expect(await receiver.wait { $0.count >= 31 })
        herald.harness.signal(SIGTERM)
        #expect(await herald.harness.waitForExit() == 0)
        let restart = String(herald.harness.log.dropFirst(before.count))
        #expect(!restart.contains("journal had"), "\(restart)")
        #expect(restart.contains("pending=0"))
        Self.expectDeliveredOnce(receiver, Self.ids("a", 10) + Self.ids("b", 20) + ["after-restart"])
    }

    /// The checkpoint's temporary file cannot be created (a full disk), or its fsync fails.
    @Test("the checkpoint cannot be saved: reading pauses, the old checkpoint stays valid, and a restart sends nothing twice",
          .enabled(if: available, "needs fiu-run (Debian's fiu-utils)"),
          arguments: [("posix/io/oc/open", ENOSPC), ("posix/io/sync/fsync", EIO)])
    func checkpointWriteFails(point: String, errno code: Int32) async throws {
        let receiver = try Receiver()
        defer { receiver.stop() }
        let herald = try FaultyHerald(url: receiver.url, retry: "[1s]")
        try herald.harness.append(Self.ids("a", 10).map(Self.event))
        #expect(await receiver.wait { $0.count >= 10 })
        let saved = try await poll({ try? Data(contentsOf: herald.checkpoint) }, until: { data in
            data.flatMap(herald.checkpointOffset) == herald.sourceSize
        })
        try await herald.enable(point, errno: code)
        try herald.harness.append(Self.ids("b", 10).map(Self.event))
        #expect(await waitUntil { herald.harness.log.contains("cannot save the source checkpoint; holding the source until it can") })
        #expect(try await herald.ioErrors("checkpoint_write", code, atLeast: 3) != nil, "every failed save is counted")
        try herald.harness.append(Self.ids("c", 10).map(Self.event))
        #expect(receiver.requests.count == 10, "a batch is not sent before its checkpoint is saved: a restart would send it again")
        #expect(try Data(contentsOf: herald.checkpoint) == saved, "the old checkpoint stays in place, whole")
        try await herald.disable(point)
        #expect(await receiver.wait { $0.count >= 30 })
        #expect(await waitUntil { herald.harness.log.contains("source checkpoint saved again; reading resumes") })
        try await herald.stop()
        try herald.harness.start()
        try herald.harness.append([Self.event("after-restart")])
        #expect(await receiver.wait { $0.count >= 31 })
        herald.harness.signal(SIGTERM)
        #expect(await herald.harness.waitForExit() == 0)
        #expect(herald.harness.logCount("cannot save the source checkpoint; holding the source until it can") == 1, "logged once for the episode")
        #expect(herald.harness.log.contains(String(cString: strerror(code))))
        Self.expectDeliveredOnce(receiver, Self.ids("a", 10) + Self.ids("b", 10) + Self.ids("c", 10) + ["after-restart"])
    }

    @Test("the dead letters' files cannot be created (a full disk, out of descriptors): the deliveries stay pending, and are buried once it clears",
          .enabled(if: available, "needs fiu-run (Debian's fiu-utils)"),
          arguments: [ENOSPC, EMFILE])
    func deadLetterWriteFails(errno code: Int32) async throws {
        let permanent = Locked(true)
        let receiver = try Receiver { _, _ in ServerResponse(status: permanent.withLock { $0 } ? 400 : 503) }
        defer { receiver.stop() }
        let herald = try FaultyHerald(url: receiver.url, retry: "[1s" + String(repeating: ", 1s", count: 100) + "]")
        // One letter first, so that the journal's files are open before the fault (only new files fail).
        try herald.harness.append([Self.event("x-0")])
        #expect(await waitUntil { herald.harness.logCount("delivery dead-lettered") == 1 })
        // The deliveries are read and tried before the fault: a new line would also need a checkpoint (a new file).
        permanent.withLock { $0 = false }
        try herald.harness.append(Self.ids("x", 30).map(Self.event))
        #expect(await waitUntil { herald.harness.logCount("delivery failed, will retry") >= 30 })
        // Each dead letter is written to a new temporary file: creating it fails.
        try await herald.enable("posix/io/oc/open", errno: code)
        permanent.withLock { $0 = true }
        #expect(await waitUntil { herald.harness.log.contains("cannot write dead letters; the deliveries stay pending") })
        #expect(await receiver.wait { $0.count >= 61 })
        #expect(try await herald.ioErrors("dead_letter_write", code, atLeast: 3) != nil, "every failed burial is counted")
        #expect(try await herald.harness.dead(["list"]).stdout.split(separator: "\n").last == "1 dead letter", "nothing more is buried while it lasts")
        try await herald.disable("posix/io/oc/open")
        let listed = try await poll({ try await herald.harness.dead(["list"]).stdout }, until: { $0.contains("31 dead letters") })
        #expect(listed.contains("31 dead letters"), "\(listed)")
        #expect(await waitUntil { herald.harness.log.contains("dead letters written again; burying resumes") })
        try await herald.stop()
        #expect(herald.harness.logCount("cannot write dead letters; the deliveries stay pending and are buried again later") == 1, "logged once for the episode")
        #expect(herald.harness.log.contains(String(cString: strerror(code))), "the dead letters' own writes failed")
        #expect(receiver.requests.count == 61, "a permanent failure is sent once, even while its burial is retried")
    }

    @Test("queued deliveries cannot be read back (out of descriptors, an I/O error): they wait, and are delivered once it clears",
          .enabled(if: available, "needs fiu-run (Debian's fiu-utils)"),
          arguments: [EMFILE, EIO])
    func readBackFails(errno code: Int32) async throws {
        let accepting = Locked(false)
        let delivered = Locked<Set<String>>([])
        let receiver = try Receiver { request, _ in
            guard accepting.withLock({ $0 }) else { return ServerResponse(status: 503) }
            delivered.withLock { _ = $0.insert(request.headers.first(named: "webhook-id") ?? "") }
            return ServerResponse(status: 204)
        }
        defer { receiver.stop() }
        let herald = try FaultyHerald(url: receiver.url, retry: "[300ms" + String(repeating: ", 300ms", count: 400) + "]")
        try herald.harness.append(Self.ids("m", 20).map(Self.event))
        // Every delivery has failed once, so each retry must read its payload back from the journal.
        #expect(await waitUntil { herald.harness.logCount("delivery failed, will retry") >= 20 })
        try await herald.enable("posix/io/rw/pread", errno: code)
        #expect(await waitUntil { herald.harness.log.contains("cannot read queued deliveries back from the journal") })
        accepting.withLock { $0 = true }
        #expect(try await herald.ioErrors("read_back", code, atLeast: 3) != nil, "every failed read is counted")
        #expect(delivered.withLock { $0.isEmpty }, "nothing can be sent while its payload cannot be read")
        try await herald.disable("posix/io/rw/pread")
        #expect(await waitUntil(timeout: .seconds(90)) { delivered.withLock { $0.count } == 20 })
        #expect(await waitUntil { herald.harness.log.contains("queued deliveries read back again; sending resumes") })
        try await herald.stop()
        #expect(herald.harness.logCount("cannot read queued deliveries back from the journal; they wait and are read again") == 1, "logged once for the episode")
        #expect(!herald.harness.log.contains("dropping"), "a failed read is never taken for a missing delivery")
        #expect(herald.harness.log.contains("delivered=20"))
    }

    /// Foundation's `FileHandle.write` traps when the write fails; the log handler used it.
    @Test("a stderr that cannot be written (a log file on a full disk) costs the log lines, never the process")
    func unwritableStderr() async throws {
        let receiver = try Receiver()
        defer { receiver.stop() }
        let harness = try SidecarHarness(config: SidecarHarness.config(url: receiver.url))
        try harness.append(Self.ids("s", 10).map(Self.event))
        try harness.start(wrapper: ["/bin/sh", "-c", #"exec "$0" "$@" 2>/dev/full"#])
        #expect(await receiver.wait { $0.count >= 10 })
        try harness.append([Self.event("s-late")])
        #expect(await receiver.wait { $0.count >= 11 })
        harness.signal(SIGTERM)
        #expect(await harness.waitForExit() == 0)
        Self.expectDeliveredOnce(receiver, Self.ids("s", 10) + ["s-late"])
    }

    // MARK: Shared

    /// Delivers 10 events, fails `point` with EIO while 20 more are appended, checks that the source
    /// waits (nothing unjournaled is sent, each failure counted, one log line), clears the fault and
    /// checks that all 30 arrive once. Returns the stopped herald and its receiver for more checks.
    @discardableResult
    private func journalFault(_ point: String, operation: String) async throws -> (FaultyHerald, Receiver) {
        let receiver = try Receiver()
        let herald = try FaultyHerald(url: receiver.url, retry: "[1s]")
        try herald.harness.append(Self.ids("a", 10).map(Self.event))
        #expect(await receiver.wait { $0.count >= 10 })
        try await herald.enable(point, errno: EIO)
        try herald.harness.append(Self.ids("b", 20).map(Self.event))
        #expect(await waitUntil { herald.harness.log.contains("cannot write the journal; holding the source until it can") })
        #expect(try await herald.ioErrors(operation, EIO, atLeast: 3) != nil, "every failed try is counted")
        #expect(receiver.requests.count == 10, "nothing is sent before it is journaled")
        try await herald.disable(point)
        #expect(await receiver.wait { $0.count >= 30 })
        #expect(await waitUntil { herald.harness.log.contains("journal writable again; reading resumes") })
        try await herald.stop()
        #expect(herald.harness.logCount("cannot write the journal; holding the source until it can") == 1, "logged once for the episode")
        #expect(herald.harness.log.contains("Input/output error"))
        #expect(herald.harness.log.contains("pending=0"))
        Self.expectDeliveredOnce(receiver, Self.ids("a", 10) + Self.ids("b", 20))
        return (herald, receiver)
    }

    static func ids(_ prefix: String, _ count: Int) -> [String] { (1...count).map { "\(prefix)-\($0)" } }

    static func event(_ id: String) -> String { #"{"type":"t","id":"\#(id)"}"# }

    /// Each of `events` reached the receiver exactly once, and nothing else did.
    static func expectDeliveredOnce(_ receiver: Receiver, _ events: [String], sourceLocation: SourceLocation = #_sourceLocation) {
        var seen: [String: Int] = [:]
        for request in receiver.requests {
            let body = String(decoding: request.body, as: UTF8.self)
            let id = events.first { body.contains("\"id\":\"\($0)\"") } ?? body
            seen[id, default: 0] += 1
        }
        #expect(seen.filter { $0.value != 1 }.isEmpty, "sent other than once: \(seen.filter { $0.value != 1 })", sourceLocation: sourceLocation)
        #expect(Set(seen.keys) == Set(events), "missing: \(Set(events).subtracting(seen.keys).sorted())", sourceLocation: sourceLocation)
    }
}

/// A herald under `fiu-run -x`, with its admin API on a port of its own for `/metrics`.
struct FaultyHerald {
    static let fiuCtrl = URL(fileURLWithPath: "/usr/bin/fiu-ctrl")
    static let errnoNames: [Int32: String] = [EIO: "EIO", ENOSPC: "ENOSPC", EMFILE: "EMFILE"]

    let harness: SidecarHarness
    let pid: Int32
    let metrics: AdminMetrics
    /// Held while the test runs: no other test's receiver can take the admin port, even across a restart.
    private let admin: PortReservation
    var checkpoint: URL { URL(fileURLWithPath: harness.stateDir + "/checkpoint.json") }
    var sourceSize: Int64? { (try? FileManager.default.attributesOfItem(atPath: harness.eventsPath)[.size] as? NSNumber)?.int64Value }

    /// Starts it on one endpoint at `url` with no breaker and the retry `schedule`.
    init(url: String, retry schedule: String) throws {
        let admin = try PortReservation()
        self.admin = admin
        let settings = "breaker: { failures: 0 }\nretry: { schedule: \(schedule), max_age: 1h }"
        harness = try SidecarHarness(config: SidecarHarness.config(url: url, settings: settings) + "\nadmin: { listen: \"127.0.0.1:\(admin.port)\" }\n")
        try harness.start(wrapper: [FaultInjectionTests.fiuRun, "-x"])
        pid = try #require(harness.process?.processIdentifier)
        metrics = try AdminMetrics(port: admin.port)
    }

    /// Makes every call behind the failure point `name` fail with `errno`, until ``disable(_:)``.
    func enable(_ name: String, errno code: Int32) async throws {
        try await control("enable name=\(name),failinfo=\(code)")
    }

    func disable(_ name: String) async throws {
        try await control("disable name=\(name)")
    }

    private func control(_ command: String) async throws {
        let result = try await HeraldProcess.run(["-c", command, "\(pid)"], executable: Self.fiuCtrl)
        #expect(result.status == 0, "fiu-ctrl \(command): \(result.stderr)")
    }

    /// `herald_io_errors_total{op, errno}` once it has reached `minimum` (nil if it did not within a minute).
    func ioErrors(_ operation: String, _ code: Int32, atLeast minimum: Double) async throws -> Double? {
        try await metrics.value("herald_io_errors_total", ["op": operation, "errno": Self.errnoNames[code] ?? "\(code)"], atLeast: minimum)
    }

    /// The offset a saved checkpoint holds.
    func checkpointOffset(_ data: Data) -> Int64? {
        ((try? JSONSerialization.jsonObject(with: data)) as? [String: Any])?["offset"].flatMap { ($0 as? NSNumber)?.int64Value }
    }

    /// SIGTERM, and a clean exit with nothing left pending.
    func stop() async throws {
        harness.signal(SIGTERM)
        #expect(await harness.waitForExit() == 0)
        #expect(harness.log.contains("pending=0"))
    }
}
