import Foundation

@testable import HeraldJournal

/// A fresh directory under the system temp dir, removed by `cleanUp()`.
struct TemporaryDirectory {
    let path: String

    init() throws {
        let base = FileManager.default.temporaryDirectory.path
        path = "\(base)/herald-journal-test-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func cleanUp() {
        try? FileManager.default.removeItem(atPath: path)
    }

    func segmentFiles(in subdirectory: String? = nil) throws -> [String] {
        let dir = subdirectory.map { "\(path)/\($0)" } ?? path
        return try FileManager.default.contentsOfDirectory(atPath: dir)
            .filter { $0.hasPrefix("segment-") }
            .sorted()
    }

    func fileSize(_ name: String) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: "\(path)/\(name)")
        return (attributes[.size] as? NSNumber)?.intValue ?? -1
    }
}

func delivery(_ id: String, payloadSize: Int = 16, attempts: Int = 0, enqueuedAt: Int64 = 1_700_000_000_000)
    -> PendingDelivery
{
    PendingDelivery(
        id: id, endpoint: "billing", route: "orders", eventID: "evt_\(id)", eventType: "order.created",
        enqueuedAt: enqueuedAt, attempts: attempts,
        payload: (0..<payloadSize).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ id.utf8.count) })
}

/// Opens a journal in `directory` with small files, as most tests want.
func openJournal(
    _ directory: TemporaryDirectory, configure: (inout JournalOptions) -> Void = { _ in }
) async throws -> (Journal, JournalRecovery) {
    var options = JournalOptions()
    configure(&options)
    // A child process spawned by a parallel test holds copies of this process's descriptors
    // until it execs (O_CLOEXEC closes them only then), so a lock just released by `close()`
    // can still be held for a moment: wait that out rather than fail.
    for _ in 0..<200 {
        let attempt = Result { () throws(JournalError) in try Journal.open(directory: directory.path, options: options) }
        guard case .failure(let error) = attempt, error.code == .locked else { return try attempt.get() }
        try await Task.sleep(for: .milliseconds(10))
    }
    return try Journal.open(directory: directory.path, options: options)
}

/// Reopens the journal to read what recovery sees, then closes it again.
func recover(_ directory: TemporaryDirectory, configure: (inout JournalOptions) -> Void = { _ in }) async throws
    -> JournalRecovery
{
    let (journal, recovery) = try await openJournal(directory, configure: configure)
    await journal.close()
    return recovery
}
