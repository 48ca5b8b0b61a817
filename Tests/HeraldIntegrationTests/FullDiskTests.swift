import Foundation
import HeraldTestSupport
import Testing

/// Issue 11 row 2 against the binary: state_dir on a 4 MiB tmpfs with the default 1 GiB budget,
/// more events than fit, the receiver down and then up. It used to deadlock: attempt records
/// filled the disk, the acks of what was delivered could not be written, so no segment was ever
/// freed and reading never resumed.
@Suite("a full disk")
struct FullDiskTests {
    @Test("on a 4 MiB tmpfs every event is delivered once space is there, and a restart re-sends nothing")
    func smallFilesystem() async throws {
        let reserved = try PortReservation()
        let harness = try SidecarHarness(config: SidecarHarness.config(url: "http://127.0.0.1:\(reserved.port)/hooks",
                                                                         retry: DeliveryTests.longSchedule)
            + "\ndelivery_log: { enabled: false }\n")
        try FileManager.default.createDirectory(atPath: harness.stateDir, withIntermediateDirectories: true)
        let mount = try await HeraldProcess.run(["-t", "tmpfs", "-o", "size=4m", "tmpfs", harness.stateDir],
                                                executable: URL(fileURLWithPath: "/bin/mount"))
        guard mount.status == 0 else {
            print("skipped: cannot mount a tmpfs here (needs root): \(mount.stderr)")
            return
        }

        let count = 15_000
        try harness.append((0..<count).map { #"{"type":"t","id":"f-\#($0)","pad":"\#(String(repeating: "x", count: 200))"}"# })
        try harness.start()
        // Down long enough that the journal reaches the disk's reserve and reading pauses.
        #expect(await waitUntil { harness.log.contains("journal at its size budget") })
        let receiver = try Receiver(port: reserved.port)
        defer { receiver.stop() }
        reserved.release()
        #expect(await receiver.wait(timeout: .seconds(300)) { Set($0.map(\.id)).count >= count },
                "\(harness.log.split(separator: "\n").filter { !$0.contains("will retry") }.suffix(10).joined(separator: "\n"))")
        #expect(harness.log.contains("journal has room again; reading resumes"))
        harness.signal(SIGTERM)
        #expect(await harness.waitForExit() == 0)
        #expect(harness.log.contains("pending=0"))

        let before = receiver.requests.count
        try harness.start()
        #expect(await waitUntil { harness.logCount("herald running") == 2 })
        try await Task.sleep(for: .milliseconds(500))
        harness.signal(SIGTERM)
        #expect(await harness.waitForExit() == 0)
        #expect(receiver.requests.count == before, "nothing acknowledged is sent again after a restart")
        _ = try await HeraldProcess.run(["-l", harness.stateDir], executable: URL(fileURLWithPath: "/bin/umount"))
    }
}
