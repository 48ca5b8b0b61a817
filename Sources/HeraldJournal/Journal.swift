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
    /// The records of one call go into one write in one segment. If that write or its sync fails
    /// (`.noSpace`, `.io`, with the ``JournalError/operation`` that failed), the segment is cut
    /// back, none of the batch's records is kept, and every caller in the batch gets the error; a
    /// failed sync also seals the segment, so that the callers' retry goes into a new one. An `.enqueue` of an id that is already
    /// pending replaces it; `.attempt`, `.ack` and `.dead` of an unknown id are kept on disk
    /// but change nothing. Cancelling the calling task does not withdraw records already
    /// handed to the writer.
    public func append(_ records: [JournalRecord]) async throws(JournalError) {
        guard !records.isEmpty else { return }
        let batch = try EncodedBatch(records, writingAttempts: !(queue.currentStats.diskLow || queue.currentStats.noSpace))
        do {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                if !queue.submit(CommitQueue.Waiter(batch: batch, completion: .resume(continuation))) {
                    continuation.resume(throwing: JournalError(.closed, "the journal in \(directory) is closed"))
                }
            }
        } catch let error as JournalError {
            throw error
        } catch {
            throw JournalError(.io, "\(error)")
        }
    }

    /// Appends `records` like ``append(_:)`` and calls `completion` on the writer thread once they
    /// are durable (nil) or failed: no task, no hop to the cooperative pool. `completion` must be
    /// quick and must not block; it may append again.
    public func append(_ records: [JournalRecord], completion: @escaping @Sendable (JournalError?) -> Void) {
        guard !records.isEmpty else { return completion(nil) }
        let batch: EncodedBatch
        do throws(JournalError) {
            batch = try EncodedBatch(records, writingAttempts: !(queue.currentStats.diskLow || queue.currentStats.noSpace))
        } catch {
            return completion(error)
        }
        if !queue.submit(CommitQueue.Waiter(batch: batch, completion: .call(completion))) {
            completion(JournalError(.closed, "the journal in \(directory) is closed"))
        }
    }

    /// Reads pending deliveries back like ``read(_:)`` and calls `completion` with the results on
    /// the writer thread.
    public func read(_ ids: [String], completion: @escaping @Sendable ([DeliveryReadResult]) -> Void) {
        guard !ids.isEmpty else { return completion([]) }
        if !queue.submitJob({ store in completion(store.read(ids)) }) {
            let closed = JournalError(.closed, "the journal in \(directory) is closed")
            completion(ids.map { _ in .failed(closed) })
        }
    }

    /// Buries deliveries like ``bury(_:into:at:)`` and calls `completion` with the outcomes on the
    /// writer thread.
    public func bury(_ requests: [BuryRequest], into letters: DeadLetterStore, at deadAt: Int64,
                     completion: @escaping @Sendable ([BuryOutcome]) -> Void) {
        guard !requests.isEmpty else { return completion([]) }
        let submitted = queue.submitJob { [queue] store in
            let outcomes = store.bury(requests, into: letters, at: deadAt)
            queue.publish(store.stats)
            completion(outcomes)
        }
        if !submitted {
            let closed = JournalError(.closed, "the journal in \(directory) is closed")
            completion(requests.map { _ in .failed(closed) })
        }
    }

    /// Runs a dead-letter retention pass (``DeadLetterStore/applyRetention(now:)``) on the writer
    /// thread, where letters are written, and publishes the stats so that space freed counts at
    /// once. Nil when there was nothing to do or the journal is closed.
    public func applyRetention(to letters: DeadLetterStore, now: Int64) async -> DeadLetterRetention.Pass? {
        await withCheckedContinuation { continuation in
            let submitted = queue.submitJob { [queue] store in
                let pass = letters.applyRetention(now: now)
                queue.publish(store.stats)
                continuation.resume(returning: pass)
            }
            if !submitted { continuation.resume(returning: nil) }
        }
    }

    /// The current state of pending deliveries, payloads included, read back from the segment
    /// files. Lets a caller keep only ids in memory. A failed read (out of descriptors, an I/O
    /// error) is reported as such, never as "not pending": the delivery is still there.
    public func read(_ ids: [String]) async -> [DeliveryReadResult] {
        await withCheckedContinuation { continuation in read(ids) { continuation.resume(returning: $0) } }
    }

    /// Moves pending deliveries to the dead letters on the writer thread: each letter is written
    /// (fsynced, one directory sync for the batch), then the journal's `dead` records are synced.
    /// A delivery is settled only when both are durable; one that fails stays pending and may be
    /// buried again later (its letter is then replaced, not doubled).
    public func bury(_ requests: [BuryRequest], into letters: DeadLetterStore, at deadAt: Int64) async -> [BuryOutcome] {
        await withCheckedContinuation { continuation in bury(requests, into: letters, at: deadAt) { continuation.resume(returning: $0) } }
    }

    /// Deliveries enqueued and not yet settled.
    public var pendingCount: Int { queue.currentStats.pendingCount }

    /// Total size of the segment files.
    public var bytesOnDisk: Int64 { queue.currentStats.bytesOnDisk }

    /// Write + fdatasync rounds so far; `appendsCommitted / commits` is the group-commit factor.
    public var commits: Int { queue.currentStats.commits }

    /// `append` calls made durable so far.
    public var appendsCommitted: Int { queue.currentStats.appendsCommitted }

    /// False when the journal (with what `options.countedBeside` adds, the dead letters) has
    /// reached `options.maxBytes` or the disk is full: the caller
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
        // Reads (and burials) go first, and again after the write: a dispatcher waiting for the
        // payloads at the front of its queue must not also wait for this batch's fdatasync.
        for job in queue.takeJobs() { job(store) }
        defer {
            for job in queue.takeJobs() { job(store) }
        }
        guard !waiters.isEmpty else {
            // Reads only, or a look at the disk while callers wait for room.
            queue.publish(store.stats)
            continue
        }
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
            waiter.completion.complete(outcome)
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
