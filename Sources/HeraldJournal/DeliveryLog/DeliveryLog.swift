import Dispatch
import Glibc
import Synchronization

/// The delivery log: every attempt appended as one JSON line under `directory`
/// (`deliveries.jsonl`, rotated by size to `deliveries.1.jsonl` … `deliveries.<keep>.jsonl`).
///
/// It is an observational log, built to cost little on the delivery path: ``record(_:)`` only
/// appends to a buffer; a background queue writes the buffer every `flushInterval` in one
/// `write`, with no fsync. A crash can lose the last moments of the log, never a delivery (the
/// journal holds those). When the disk does not keep up, records past `maxBufferedBytes` are
/// dropped and counted rather than slowing deliveries.
public final class DeliveryLog: Sendable {
    /// What happened to the records given to ``record(_:)``.
    public struct Counters: Sendable, Equatable {
        /// Accepted into the buffer.
        public var recorded = 0
        /// Written to a file.
        public var written = 0
        /// Lost: the buffer was full, or a write failed.
        public var dropped = 0
    }

    private struct Buffer {
        var records: [DeliveryAttemptRecord] = []
        var bytes = 0
        var nextSequence: UInt64
        var flushScheduled = false
        var closed = false
        var counters = Counters()
        /// Drops since the buffer last drained; reported once per episode.
        var dropping = false
    }

    public let directory: String
    private let options: DeliveryLogOptions
    private let onProblem: @Sendable (String) -> Void
    private let buffer: Mutex<Buffer>
    private let file: DeliveryLogWriter
    private let queue = DispatchQueue(label: "herald.delivery-log")

    /// Opens (creating if needed) the log in `directory`, whose parent must exist. `onProblem`
    /// hears about drops and write failures, once per episode, from a background thread.
    public init(directory: String, options: DeliveryLogOptions = DeliveryLogOptions(),
                onProblem: @escaping @Sendable (String) -> Void = { _ in }) throws(JournalError) {
        self.directory = directory
        self.options = options
        self.onProblem = onProblem
        try FileIO.makeDirectory(directory)
        file = try DeliveryLogWriter(directory: directory, options: options)
        buffer = Mutex(Buffer(nextSequence: try DeliveryLogWriter.lastSequence(in: directory) + 1))
    }

    /// Queues an attempt for writing and gives it the next sequence number; never blocks on I/O.
    public func record(_ record: DeliveryAttemptRecord) {
        var record = record
        let size = Self.estimatedBytes(record)
        let limit = options.maxBufferedBytes
        let (schedule, firstDrop) = buffer.withLock { buffer -> (Bool, Bool) in
            guard !buffer.closed else { return (false, false) }
            guard buffer.bytes + size <= limit || buffer.records.isEmpty else {
                buffer.counters.dropped += 1
                defer { buffer.dropping = true }
                return (false, !buffer.dropping)
            }
            record.sequence = buffer.nextSequence
            buffer.nextSequence += 1
            buffer.records.append(record)
            buffer.bytes += size
            buffer.counters.recorded += 1
            guard !buffer.flushScheduled else { return (false, false) }
            buffer.flushScheduled = true
            return (true, false)
        }
        if firstDrop { onProblem("delivery log: the disk is not keeping up; dropping log records (deliveries are not affected)") }
        if schedule { scheduleFlush() }
    }

    public var counters: Counters { buffer.withLock { $0.counters } }

    /// A reader of this log's directory.
    public var reader: DeliveryLogReader { DeliveryLogReader(directory: directory) }

    /// Writes everything recorded so far; returns when it is in the file (not fsynced).
    public func flush() {
        queue.sync { writeBuffered() }
    }

    /// Writes what is buffered and closes the file; later records are ignored.
    public func close() {
        queue.sync {
            writeBuffered()
            buffer.withLock { $0.closed = true }
            file.close()
        }
    }

    private func scheduleFlush() {
        let interval = options.flushInterval
        let nanoseconds = interval.components.seconds * 1_000_000_000 + interval.components.attoseconds / 1_000_000_000
        queue.asyncAfter(deadline: .now() + .nanoseconds(Int(nanoseconds))) { [self] in
            writeBuffered()
            let again = buffer.withLock { buffer -> Bool in
                if buffer.records.isEmpty || buffer.closed {
                    buffer.flushScheduled = false
                    return false
                }
                return true
            }
            if again { scheduleFlush() }
        }
    }

    /// Runs on `queue`.
    private func writeBuffered() {
        let records = buffer.withLock { buffer in
            defer {
                buffer.records = []
                buffer.bytes = 0
                buffer.dropping = false
            }
            return buffer.records
        }
        guard !records.isEmpty else { return }
        let outcome = file.write(records)
        buffer.withLock { buffer in
            buffer.counters.written += outcome.written
            buffer.counters.dropped += records.count - outcome.written
        }
        if let problem = outcome.problem { onProblem(problem) }
    }

    /// Roughly what a record costs in memory while buffered.
    private static func estimatedBytes(_ record: DeliveryAttemptRecord) -> Int {
        160 + record.deliveryID.utf8.count + record.eventID.utf8.count + record.eventType.utf8.count + record.route.utf8.count
            + record.endpoint.utf8.count + record.url.utf8.count + (record.error?.utf8.count ?? 0) + (record.response.text?.utf8.count ?? 0)
    }
}
