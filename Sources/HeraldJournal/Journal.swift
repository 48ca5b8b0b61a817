import Glibc

/// The durable retry journal: deliveries stay here, in append-only segment files, from
/// enqueue until they are acked or dead-lettered.
///
/// Appends are group-committed: one writer thread takes every batch appended since its last
/// `fdatasync`, writes them with one `write`, syncs once and then resumes all their callers.
/// Only one `Journal` may have a directory open at a time (an `flock` on `journal.lock`).
///
/// The directory holds `segment-00000001.log`, `segment-00000002.log`, … (format in
/// `RecordCodec`). Space is freed after each batch: settled segments are deleted oldest
/// first, and an oldest segment that holds only a few live deliveries is compacted (they are
/// re-enqueued at the head with their current attempts, notBefore and lastError, and the
/// segment deleted), so one long-retrying delivery cannot pin the segments after it.
public final class Journal: Sendable {
    public let directory: String
    public let options: JournalOptions
    private let queue: CommitQueue

    private init(directory: String, options: JournalOptions, queue: CommitQueue) {
        self.directory = directory
        self.options = options
        self.queue = queue
    }

    /// Opens (creating if needed) the journal in `directory`, recovers its state and starts
    /// the writer thread.
    ///
    /// - Throws: `JournalError` with code `.locked` if another journal holds the directory,
    ///   or `.io` / `.noSpace` if the files cannot be read or repaired.
    public static func open(
        directory: String, options: JournalOptions = JournalOptions()
    ) throws(JournalError) -> (Journal, JournalRecovery) {
        let (store, recovery) = try JournalStore.open(directory: directory, options: options)
        let queue = CommitQueue()
        queue.publish(store.stats)
        startWriterThread { runWriter(store: store, queue: queue) }
        return (Journal(directory: directory, options: options, queue: queue), recovery)
    }

    deinit {
        queue.requestClose(nil)
    }

    /// Appends `records` in order; returns once they are on disk (fdatasync'd).
    ///
    /// The records of one call go into one write in one segment. If that write fails
    /// (`.noSpace`, `.io`), the segment is cut back, none of the batch's records is kept, and
    /// every caller in the batch gets the error. An `.enqueue` of an id that is already
    /// pending replaces it; `.attempt`, `.ack` and `.dead` of an unknown id are kept on disk
    /// but change nothing. Cancelling the calling task does not withdraw records already
    /// handed to the writer.
    public func append(_ records: [JournalRecord]) async throws(JournalError) {
        guard !records.isEmpty else { return }
        let batch = try EncodedBatch(records)
        do {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                if !queue.submit(CommitQueue.Waiter(batch: batch, continuation: continuation)) {
                    continuation.resume(throwing: JournalError(.closed, "the journal in \(directory) is closed"))
                }
            }
        } catch let error as JournalError {
            throw error
        } catch {
            throw JournalError(.io, "\(error)")
        }
    }

    /// The current state of pending deliveries, payloads included, read back from the segment
    /// files. Lets a caller keep only ids in memory. A failed read (out of descriptors, an I/O
    /// error) is reported as such, never as "not pending": the delivery is still there.
    public func read(_ ids: [String]) async -> [DeliveryReadResult] {
        guard !ids.isEmpty else { return [] }
        return await withCheckedContinuation { continuation in
            let closed = JournalError(.closed, "the journal in \(directory) is closed")
            if !queue.submitJob({ store in continuation.resume(returning: store.read(ids)) }) {
                continuation.resume(returning: ids.map { _ in .failed(closed) })
            }
        }
    }

    /// Moves pending deliveries to the dead letters on the writer thread: each letter is written
    /// (fsynced, one directory sync for the batch), then the journal's `dead` records are synced.
    /// A delivery is settled only when both are durable; one that fails stays pending and may be
    /// buried again later (its letter is then replaced, not doubled).
    public func bury(_ requests: [BuryRequest], into letters: DeadLetterStore, at deadAt: Int64) async -> [BuryOutcome] {
        guard !requests.isEmpty else { return [] }
        return await withCheckedContinuation { continuation in
            let closed = JournalError(.closed, "the journal in \(directory) is closed")
            let submitted = queue.submitJob { [queue] store in
                let outcomes = store.bury(requests, into: letters, at: deadAt)
                queue.publish(store.stats)
                continuation.resume(returning: outcomes)
            }
            if !submitted { continuation.resume(returning: requests.map { _ in .failed(closed) }) }
        }
    }

    /// Deliveries enqueued and not yet settled.
    public var pendingCount: Int { queue.currentStats.pendingCount }

    /// Total size of the segment files.
    public var bytesOnDisk: Int64 { queue.currentStats.bytesOnDisk }

    /// Write + fdatasync rounds so far; `appendsCommitted / commits` is the group-commit factor.
    public var commits: Int { queue.currentStats.commits }

    /// `append` calls made durable so far.
    public var appendsCommitted: Int { queue.currentStats.appendsCommitted }

    /// False when the journal has reached `options.maxBytes` or the disk is full: the caller
    /// should stop reading its source until settled deliveries free space (backpressure).
    public func hasRoom() -> Bool {
        queue.currentStats.hasRoom(below: options.maxBytes)
    }

    /// Returns once ``hasRoom()`` is true: at once if it is, otherwise when the writer thread
    /// publishes stats with room after a batch, a burial or maintenance (a wake-up, not a poll).
    ///
    /// - Throws: `CancellationError` if the calling task is cancelled while waiting, or
    ///   `JournalError` with code `.closed` if the journal closes without room.
    public func waitForRoom() async throws {
        let id = queue.makeRoomWaiterID()
        let outcome = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                queue.waitForRoom(below: options.maxBytes, id: id, continuation)
            }
        } onCancel: { [queue] in
            queue.cancelRoomWaiter(id)
        }
        switch outcome {
        case .room: return
        case .cancelled: throw CancellationError()
        case .closed: throw JournalError(.closed, "the journal in \(directory) is closed")
        }
    }

    /// Writes what was already appended, stops the writer and releases the directory.
    /// Later appends throw `.closed`.
    public func close() async {
        await withCheckedContinuation { continuation in
            queue.requestClose(continuation)
        }
    }
}

/// The writer thread's loop: batch, write, sync, resume, then free space.
private func runWriter(store: JournalStore, queue: CommitQueue) {
    var expected = 1
    while let waiters = queue.nextBatch(
        maxBytes: store.options.maxBatchBytes, expected: expected, delay: store.options.maxBatchDelay)
    {
        defer {
            for job in queue.takeJobs() { job(store) }
        }
        guard !waiters.isEmpty else { continue }
        expected = waiters.count
        var bytes: [UInt8]
        if waiters.count == 1 {
            bytes = waiters[0].batch.bytes
        } else {
            bytes = []
            bytes.reserveCapacity(waiters.reduce(0) { $0 + $1.batch.bytes.count })
            for waiter in waiters { bytes.append(contentsOf: waiter.batch.bytes) }
        }
        let outcome: Result<Void, JournalError>
        do {
            let (segment, start) = try store.write(bytes)
            var base = start
            for waiter in waiters {
                store.apply(waiter.batch.effects, segment: segment, base: base)
                base += Int64(waiter.batch.bytes.count)
            }
            store.commits += 1
            store.appendsCommitted += waiters.count
            outcome = .success(())
        } catch {
            outcome = .failure(error)
        }
        // Space is freed before callers resume, so `hasRoom()` and `bytesOnDisk` already reflect
        // their acks. It is cheap unless there is work (deleting or compacting the oldest
        // segment, at most once per segment); a failure (a full disk during compaction) is
        // retried after the next batch and does not fail this one.
        try? store.maintain()
        queue.publish(store.stats)
        for waiter in waiters {
            waiter.continuation.resume(with: outcome.mapError { $0 as any Error })
        }
    }
    for job in queue.takeJobs() { job(store) }
    store.closeFiles()
    queue.writerStopped()
}

private final class ThreadBody {
    let run: @Sendable () -> Void
    init(_ run: @escaping @Sendable () -> Void) { self.run = run }
}

private func startWriterThread(_ body: @escaping @Sendable () -> Void) {
    let context = Unmanaged.passRetained(ThreadBody(body)).toOpaque()
    var thread = pthread_t()
    let result = pthread_create(
        &thread, nil,
        { context in
            let body = Unmanaged<ThreadBody>.fromOpaque(context!).takeRetainedValue()
            body.run()
            return nil
        }, context)
    precondition(result == 0, "cannot start the journal writer thread: \(String(cString: strerror(result)))")
    pthread_detach(thread)
}
