import Foundation
import HeraldHTTP
import Testing

/// Faults that a test cannot produce naturally, injected into the running binary with libfiu
/// (`fiu-run -x` preloads its POSIX wrappers; `fiu-ctrl` turns a failure point on and off in the
/// running process). `scripts/test` installs Debian's fiu-utils.
@Suite("faults injected into a running herald: nothing is dropped", .serialized)
struct FaultInjectionTests {
    static let fiuRun = "/usr/bin/fiu-run"
    static let fiuCtrl = URL(fileURLWithPath: "/usr/bin/fiu-ctrl")
    static var available: Bool { FileManager.default.isExecutableFile(atPath: fiuRun) }

    static func control(_ command: String, pid: Int32) async throws {
        let result = try await HeraldProcess.run(["-c", command, "\(pid)"], executable: fiuCtrl)
        #expect(result.status == 0, "fiu-ctrl \(command): \(result.stderr)")
    }

    static func config(url: String, retry: String) -> String {
        SidecarHarness.config(url: url, settings: "breaker: { failures: 0 }\nretry: { schedule: \(retry), max_age: 1h }")
    }

    @Test("out of descriptors (EMFILE) while reading queued deliveries back: they wait, and are delivered once the fault clears",
          .enabled(if: available, "needs fiu-run (Debian's fiu-utils)"))
    func emfileDuringReadBack() async throws {
        let accepting = Locked(false)
        let delivered = Locked<Set<String>>([])
        let receiver = try Receiver { request, _ in
            guard accepting.withLock({ $0 }) else { return ServerResponse(status: 503) }
            delivered.withLock { _ = $0.insert(request.headers.first(named: "webhook-id") ?? "") }
            return ServerResponse(status: 204)
        }
        defer { receiver.stop() }
        let harness = try SidecarHarness(config: Self.config(url: receiver.url, retry: "[300ms" + String(repeating: ", 300ms", count: 400) + "]"))
        try harness.append((1...20).map { #"{"type":"t","id":"m-\#($0)"}"# })
        try harness.start(wrapper: [Self.fiuRun, "-x"])
        let pid = try #require(harness.process?.processIdentifier)
        // Every delivery has failed once, so each retry must read its payload back from the journal.
        #expect(await waitUntil { harness.logCount("delivery failed, will retry") >= 20 })
        try await Self.control("enable name=posix/io/rw/pread,failinfo=\(EMFILE)", pid: pid)
        #expect(await waitUntil { harness.log.contains("cannot read queued deliveries back from the journal") })
        accepting.withLock { $0 = true }
        try await Task.sleep(for: .seconds(1))
        #expect(delivered.withLock { $0.isEmpty }, "nothing can be sent while its payload cannot be read")
        try await Self.control("disable name=posix/io/rw/pread", pid: pid)
        #expect(await waitUntil(timeout: .seconds(90)) { delivered.withLock { $0.count } == 20 })
        harness.signal(SIGTERM)
        #expect(await harness.waitForExit() == 0)
        #expect(!harness.log.contains("dropping"), "a failed read is never taken for a missing delivery")
        #expect(harness.log.contains("delivered=20"))
    }

    @Test("a full disk (ENOSPC) while dead-lettering: the deliveries stay pending, and are buried once space is back",
          .enabled(if: available, "needs fiu-run (Debian's fiu-utils)"))
    func enospcWhileBurying() async throws {
        let receiver = try Receiver { _, _ in ServerResponse(status: 400) }
        defer { receiver.stop() }
        let harness = try SidecarHarness(config: Self.config(url: receiver.url, retry: "[1s]"))
        try harness.start(wrapper: [Self.fiuRun, "-x"])
        let pid = try #require(harness.process?.processIdentifier)
        // One letter first, so that the journal's files are open before the fault (only new files fail).
        try harness.append([#"{"type":"t","id":"x-0"}"#])
        #expect(await waitUntil { harness.logCount("delivery dead-lettered") == 1 })
        // Creating a file fails as on a full disk: each dead letter is written to a new temporary file.
        try await Self.control("enable name=posix/io/oc/open,failinfo=\(ENOSPC)", pid: pid)
        try harness.append((1...30).map { #"{"type":"t","id":"x-\#($0)"}"# })
        #expect(await waitUntil { harness.log.contains("cannot write dead letters; the deliveries stay pending") })
        #expect(await receiver.wait { $0.count >= 31 })
        #expect(try await harness.dead(["list"]).stdout.split(separator: "\n").last == "1 dead letter", "nothing more is buried while the disk is full")
        try await Self.control("disable name=posix/io/oc/open", pid: pid)
        let listed = try await poll({ try await harness.dead(["list"]).stdout }, until: { $0.contains("31 dead letters") })
        #expect(listed.contains("31 dead letters"), "\(listed)")
        harness.signal(SIGTERM)
        #expect(await harness.waitForExit() == 0)
        #expect(harness.log.contains("No space left on device"), "the dead letters' own writes failed")
        #expect(harness.log.contains("pending=0"))
        #expect(receiver.requests.count == 31, "a permanent failure is sent once, even while its burial is retried")
    }
}
