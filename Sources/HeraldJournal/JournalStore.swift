import Glibc
import OrderedCollections

/// The journal's files and index: segments on disk, and which deliveries each still holds.
///
/// Confined to one thread at a time: `Journal.open` builds it and runs recovery, then hands
/// it to the writer thread, which alone touches it until it stops (hence `@unchecked Sendable`).
final class JournalStore: @unchecked Sendable {
    struct Segment {
        let number: UInt32
        var size: Int64
        /// Deliveries whose current enqueue record lives in this segment and are not settled
        /// (a count: the ids are found through `entries` on the rare occasions they are needed).
        var liveCount = 0
        /// Bytes of those enqueue records.
        var liveBytes: Int64 = 0
    }

    /// Where a pending delivery's enqueue record is, and its attempt state: 24 bytes, since a
    /// backlog may hold hundreds of thousands of them. Offsets fit 32 bits because segments
    /// are capped far below 4 GiB; attempts saturate at 65,535.
    struct Entry {
        var segment: UInt32
        var length: UInt32
        var offset32: UInt32
        var attempts16: UInt16
        /// Index into `errorTexts`; negative when there is none (or it was not kept).
        var error: Int16
        var notBefore: Int64

        init(segment: UInt32, length: Int, offset: Int64, notBefore: Int64, attempts: Int, error: Int16) {
            self.segment = segment
            self.length = UInt32(length)
            offset32 = UInt32(offset)
            attempts16 = UInt16(clamping: attempts)
            self.error = error
            self.notBefore = notBefore
        }

        var offset: Int64 { Int64(offset32) }
        var attempts: Int {
            get { Int(attempts16) }
            set { attempts16 = UInt16(clamping: newValue) }
        }
    }

    let directory: String
    let options: JournalOptions
    var segments: OrderedDictionary<UInt32, Segment> = [:]
    var entries = PendingIndex<Entry>(filler: Entry(segment: 0, length: 0, offset: 0, notBefore: 0, attempts: 0, error: -1))
    var headFD: Int32 = -1
    private let lockFD: Int32
    private(set) var noSpace = false
    /// Segments whose live records failed to read back during compaction.
    private var uncompactable: Set<UInt32> = []
    /// The head segment takes no more writes: a sync of it failed (or a failed write could not be
    /// cut back), so the next write starts a new segment (see `writeUnchecked`).
    var headSealed = false

    static func segmentName(_ number: UInt32) -> String {
        let digits = String(number)
        return "segment-" + String(repeating: "0", count: max(0, 8 - digits.count)) + digits + ".log"
    }

    static func segmentNumber(fromName name: String) -> UInt32? {
        guard name.hasPrefix("segment-"), name.hasSuffix(".log") else { return nil }
        let digits = name.dropFirst("segment-".count).dropLast(".log".count)
        guard digits.count >= 8, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return UInt32(digits)
    }

    func path(_ number: UInt32) -> String { "\(directory)/\(Self.segmentName(number))" }

    init(directory: String, options: JournalOptions, lockFD: Int32) {
        self.directory = directory
        self.options = options
        self.lockFD = lockFD
        let filesystem = FileIO.filesystemBytes(directory)
        // On a small filesystem a segment is at most an eighth of it, so that settled segments can
        // be deleted (or compacted) and free space long before the disk is full; and appends of new
        // deliveries stop while less than a reserve is free, which keeps room for the acks and dead
        // records that settle what is already journaled (a full disk used to deadlock: nothing
        // could settle, so nothing could be freed).
        segmentLimit = max(4096, min(options.effectiveSegmentBytes, (filesystem?.total ?? .max) / 8))
        diskReserve = options.diskReserve ?? min((filesystem?.total ?? 0) / 8, 8 << 20)
    }

    /// The size past which a new segment is started (see `init`).
    let segmentLimit: Int64
    /// Free filesystem bytes below which ``stats`` says there is no room for new deliveries.
    let diskReserve: Int64

    /// Successful write + fdatasync rounds, and the `append` calls they carried.
    var commits = 0
    var appendsCommitted = 0

    var stats: CommitQueue.Stats {
        CommitQueue.Stats(
            pendingCount: entries.count,
            bytesOnDisk: segments.values.reduce(0) { $0 + $1.size },
            noSpace: noSpace,
            commits: commits,
            appendsCommitted: appendsCommitted,
            besideBytes: options.countedBeside?() ?? 0,
            diskLow: (headFD >= 0 ? FileIO.filesystemBytes(fd: headFD) : FileIO.filesystemBytes(directory))
                .map { $0.available < diskReserve } ?? false)
    }

    // MARK: Opening and recovery

    /// Takes the directory's lock, reads every segment, truncates a torn tail, and returns the
    /// store ready for appends together with what was recovered.
    static func open(directory: String, options: JournalOptions) throws(JournalError) -> (JournalStore, JournalRecovery)
    {
        try FileIO.makeDirectory(directory)
        let lockPath = "\(directory)/journal.lock"
        let lockFD = try FileIO.open(lockPath, O_RDWR | O_CREAT)
        if flock(lockFD, LOCK_EX | LOCK_NB) != 0 {
            let code = Glibc.errno
            Glibc.close(lockFD)
            if code == EWOULDBLOCK {
                throw JournalError(
                    .locked, "\(directory) is already in use by another journal (lock held on \(lockPath))",
                    errno: code)
            }
            throw FileIO.error("flock", lockPath, code)
        }
        let store = JournalStore(directory: directory, options: options, lockFD: lockFD)
        do {
            let recovery = try store.recover(readOnly: false)
            try store.maintain()
            return (store, recovery)
        } catch {
            store.closeFiles()
            throw error
        }
    }

    // MARK: Writing

    /// Creates segment `number` with its header, durable in the directory, as the new head.
    func createSegment(_ number: UInt32) throws(JournalError) {
        let segmentPath = path(number)
        let fd: Int32
        do throws(JournalError) {
            fd = try FileIO.open(segmentPath, O_WRONLY | O_CREAT | O_EXCL)
        } catch {
            throw error.during(.journalAppend)
        }
        do throws(JournalError) {
            do throws(JournalError) {
                try FileIO.writeAll(fd, RecordCodec.segmentHeader(number: number), at: 0, path: segmentPath)
            } catch {
                throw error.during(.journalAppend)
            }
            try FileIO.fdatasync(fd, path: segmentPath)
            try FileIO.fsyncDirectory(directory)
        } catch {
            Glibc.close(fd)
            try? FileIO.unlink(segmentPath)
            throw error.during(.journalSync)
        }
        if headFD >= 0 { Glibc.close(headFD) }
        headFD = fd
        headSealed = false
        segments[number] = Segment(number: number, size: Int64(RecordCodec.segmentHeaderSize))
    }

    private var headNumber: UInt32 { segments.keys.last! }

    /// Writes `bytes` at the end of the head segment (rotating first if it would overflow, or if
    /// the head is sealed) and fdatasyncs. Returns the segment and offset where `bytes` begins. On
    /// failure nothing of `bytes` counts: the segment is cut back to its previous length, and
    /// after a failed sync it is sealed as well. The failure is reported to `onIOError` once.
    func write(_ bytes: [UInt8]) throws(JournalError) -> (segment: UInt32, offset: Int64) {
        do {
            let result = try writeUnchecked(bytes)
            noSpace = false
            return result
        } catch {
            if error.code == .noSpace { noSpace = true }
            let failure = error.during(.journalAppend)
            report(failure)
            throw failure
        }
    }

    /// Tells `options.onIOError` about a failed operation of the journal's (not a corrupt record).
    func report(_ error: JournalError) {
        if error.operation != nil { options.onIOError?(error) }
    }

    private func writeUnchecked(_ bytes: [UInt8]) throws(JournalError) -> (segment: UInt32, offset: Int64) {
        let head = segments[headNumber]!
        if headSealed || (head.size > Int64(RecordCodec.segmentHeaderSize) && head.size + Int64(bytes.count) > segmentLimit) {
            try createSegment(head.number + 1)
        }
        let number = headNumber
        let segmentPath = path(number)
        let start = segments[number]!.size
        do throws(JournalError) {
            if let inject = options.injectWriteFailure, let code = inject(bytes.count) {
                try FileIO.writeAll(headFD, Array(bytes.prefix(bytes.count / 2)), at: start, path: segmentPath)
                throw FileIO.error("write", segmentPath, code)
            }
            try FileIO.writeAll(headFD, bytes, at: start, path: segmentPath)
        } catch {
            // A failed write leaves at most a torn batch behind `start`, and the next write goes to
            // `start` again. Cut it off now so that a crash cannot leave it to recovery; if even the
            // cut fails, nothing more is written behind it: the segment is sealed.
            if (try? FileIO.truncate(headFD, to: start, path: segmentPath)) == nil { sealHead() }
            throw error.during(.journalAppend)
        }
        do throws(JournalError) {
            if let inject = options.injectSyncFailure, let code = inject() { throw FileIO.error("fdatasync", segmentPath, code) }
            try FileIO.fdatasync(headFD, path: segmentPath)
        } catch {
            // After a failed fdatasync the kernel may have dropped the dirty pages or marked them
            // clean, and a later sync of the same file can succeed without writing them (the
            // PostgreSQL "fsyncgate" lesson): neither the batch's bytes nor that file's next sync
            // can be trusted. So the batch does not count (its callers are told, and write it
            // again), it is cut off the segment, and the segment is sealed: the retry goes into a
            // new segment, on a new file. What was synced before `start` stays valid.
            try? FileIO.truncate(headFD, to: start, path: segmentPath)
            sealHead()
            throw error.during(.journalSync)
        }
        segments[number]!.size = start + Int64(bytes.count)
        return (number, start)
    }

    /// Stops writing to the head segment; the next write creates the one after it.
    private func sealHead() {
        if headFD >= 0 { Glibc.close(headFD) }
        headFD = -1
        headSealed = true
    }

    /// Applies a durable batch's effects to the index, in log order.
    func apply(_ effects: [EncodedBatch.Effect], segment: UInt32, base: Int64) {
        for effect in effects { apply(effect, segment: segment, base: base) }
    }

    func apply(_ effect: EncodedBatch.Effect, segment: UInt32, base: Int64) {
        switch effect {
        case .enqueue(let id, let offset, let length, let attempts, let notBefore, let lastError):
            removeLive(id)
            entries[id] = Entry(
                segment: segment, length: length, offset: base + Int64(offset), notBefore: notBefore,
                attempts: attempts, error: errorCode(lastError))
            segments[segment]!.liveCount += 1
            segments[segment]!.liveBytes += Int64(length)
        case .attempt(let id, let attempts, let notBefore, let error):
            let code = errorCode(error)
            entries.update(id) { entry in
                entry.attempts = attempts
                entry.notBefore = notBefore
                entry.error = code
            }
        case .settle(let id):
            removeLive(id)
        }
    }

    /// Each distinct last-error text once: a down endpoint gives thousands of pending
    /// deliveries the same error, and a copy each would cost a heap allocation. Bounded: past
    /// `maxErrorTexts` distinct texts, new ones are not kept in memory (the journal file has them).
    private var errorTexts: [String] = []
    private var errorCodes: [String: Int16] = [:]
    static let maxErrorTexts = 16_384

    func errorCode(_ text: String?) -> Int16 {
        guard let text else { return -1 }
        if let code = errorCodes[text] { return code }
        guard errorTexts.count < Self.maxErrorTexts else { return -2 }
        let code = Int16(errorTexts.count)
        errorTexts.append(text)
        errorCodes[text] = code
        return code
    }

    private func errorText(_ code: Int16) -> String? {
        code >= 0 ? errorTexts[Int(code)] : (code == -2 ? "(error text not kept in memory)" : nil)
    }

    func removeLive(_ id: String) {
        guard let entry = entries.removeValue(forKey: id) else { return }
        segments[entry.segment]?.liveCount -= 1
        segments[entry.segment]?.liveBytes -= Int64(entry.length)
    }

    // MARK: Freeing space

    /// Deletes settled segments oldest first, compacts an oldest segment that holds only a few
    /// live deliveries, and starts afresh when everything is settled and the head is large.
    func maintain() throws(JournalError) {
        while segments.count > 1, let oldest = segments.values.first {
            if oldest.liveCount == 0 {
                try reportingMaintenance { () throws(JournalError) in try deleteSegment(oldest.number) }
            } else if oldest.liveCount <= options.compactionMaxLive
                && Double(oldest.liveBytes) <= Double(oldest.size) * options.compactionMaxLiveFraction
                && !uncompactable.contains(oldest.number)
            {
                do throws(JournalError) {
                    try compact(oldest.number)
                } catch {
                    // A record that no longer reads back will not read back next time either:
                    // leave that segment until its deliveries settle instead of retrying.
                    if error.code == .corrupt { uncompactable.insert(oldest.number) }
                    throw error
                }
            } else {
                return
            }
        }
        if entries.isEmpty, let head = segments.values.last,
            head.size >= max(segmentLimit / 4, Int64(RecordCodec.segmentHeaderSize) + 1)
        {
            try reportingMaintenance { () throws(JournalError) in
                try createSegment(head.number + 1)
                try deleteSegment(head.number)
            }
        }
    }

    /// Runs one step of freeing space; a failed file operation is reported (counted in
    /// `herald_io_errors_total`) before it is thrown. Compaction's writes report themselves.
    private func reportingMaintenance(_ step: () throws(JournalError) -> Void) throws(JournalError) {
        do {
            try step()
        } catch {
            let failure = error.during(.journalMaintain)
            report(failure)
            throw failure
        }
    }

    private func deleteSegment(_ number: UInt32) throws(JournalError) {
        if let fd = readFDs.removeValue(forKey: number) { Glibc.close(fd) }
        try FileIO.unlink(path(number))
        try FileIO.fsyncDirectory(directory)
        segments[number] = nil
        noSpace = false
    }

    /// Re-appends the live deliveries of segment `number` at the head, carrying their current
    /// attempts/notBefore/lastError, then deletes the segment.
    private func compact(_ number: UInt32) throws(JournalError) {
        let segmentPath = path(number)
        let fd = try FileIO.open(segmentPath, O_RDONLY)
        defer { Glibc.close(fd) }
        let ids = entries.keys { $0.segment == number }.sorted { entries[$0]!.offset < entries[$1]!.offset }
        var records: [JournalRecord] = []
        for id in ids {
            let entry = entries[id]!
            let frame = try FileIO.pread(fd, count: Int(entry.length), offset: entry.offset, path: segmentPath)
            records.append(.enqueue(try restore(id, entry, from: frame, at: 0, segmentPath: segmentPath)))
        }
        let batch = try EncodedBatch(records)
        let (segment, base) = try write(batch.bytes)
        apply(batch.effects, segment: segment, base: base)
        try deleteSegment(number)
    }

    /// Read-only descriptors of segments that deliveries were read back from, kept open until
    /// the segment is deleted (a backlog is read back one batch at a time).
    private var readFDs: [UInt32: Int32] = [:]

    /// Enqueue records closer than this in one segment are read back with one `pread` (the gap
    /// holds the ack and attempt records written between them).
    static let readBackGap: Int64 = 16 << 10
    /// The most bytes one coalesced read-back `pread` covers.
    static let readBackSpan: Int64 = 1 << 20

    /// Reads pending deliveries back from their enqueue records, with their current attempt state.
    /// Records that lie close together in a segment (a backlog read in order) are read with one
    /// `pread` per run, not one per delivery. A failed read is reported to `onIOError` once per
    /// call, however many deliveries it failed.
    func read(_ ids: [String]) -> [DeliveryReadResult] {
        var results = [DeliveryReadResult](repeating: .notPending, count: ids.count)
        var located: [(index: Int, entry: Entry)] = []
        located.reserveCapacity(ids.count)
        for (index, id) in ids.enumerated() {
            if let entry = entries[id] { located.append((index, entry)) }
        }
        located.sort { ($0.entry.segment, $0.entry.offset32) < ($1.entry.segment, $1.entry.offset32) }
        var runStart = 0
        while runStart < located.count {
            let first = located[runStart].entry
            var runEnd = runStart + 1
            var spanEnd = first.offset + Int64(first.length)
            while runEnd < located.count {
                let next = located[runEnd].entry
                let nextEnd = next.offset + Int64(next.length)
                guard next.segment == first.segment, next.offset <= spanEnd + Self.readBackGap,
                    nextEnd - first.offset <= Self.readBackSpan
                else { break }
                spanEnd = max(spanEnd, nextEnd)
                runEnd += 1
            }
            readRun(located[runStart..<runEnd], ids: ids, span: first.offset..<spanEnd, into: &results)
            runStart = runEnd
        }
        if let failure = results.lazy.compactMap(\.failure).first { report(failure) }
        return results
    }

    /// Reads one stretch of a segment and decodes the enqueue records of `run` from it.
    private func readRun(
        _ run: ArraySlice<(index: Int, entry: Entry)>, ids: [String], span: Range<Int64>,
        into results: inout [DeliveryReadResult]
    ) {
        let segment = run.first!.entry.segment
        let segmentPath = path(segment)
        do throws(JournalError) {
            if let inject = options.injectReadFailure, let code = inject() { throw FileIO.error("pread", segmentPath, code) }
            let fd: Int32
            if let open = readFDs[segment] {
                fd = open
            } else {
                fd = try FileIO.open(segmentPath, O_RDONLY)
                readFDs[segment] = fd
            }
            let bytes = try FileIO.pread(fd, count: Int(span.count), offset: span.lowerBound, path: segmentPath)
            for (index, entry) in run {
                do throws(JournalError) {
                    let at = Int(entry.offset - span.lowerBound)
                    results[index] = .found(try restore(ids[index], entry, from: bytes, at: at, segmentPath: segmentPath))
                } catch {
                    results[index] = .failed(error.during(.readBack))
                }
            }
        } catch {
            let failure = error.during(.readBack)
            for (index, _) in run { results[index] = .failed(failure) }
        }
    }

    /// Decodes the enqueue record of `id` at `offset` in `bytes` and gives it the attempt state
    /// its index entry holds now.
    private func restore(
        _ id: String, _ entry: Entry, from bytes: [UInt8], at offset: Int, segmentPath: String
    ) throws(JournalError) -> PendingDelivery {
        guard case .record(.enqueue(var delivery), _) = RecordCodec.readFrame(bytes, at: offset) else {
            throw JournalError(.corrupt, "\(segmentPath) at byte \(entry.offset): enqueue record of \(id) unreadable")
        }
        delivery.attempts = entry.attempts
        delivery.notBefore = entry.notBefore
        delivery.lastError = errorText(entry.error)
        return delivery
    }

    /// Writes dead letters for pending deliveries, then settles them with synced `dead` records.
    func bury(_ requests: [BuryRequest], into letters: DeadLetterStore, at deadAt: Int64) -> [BuryOutcome] {
        var outcomes = [BuryOutcome](repeating: .notPending, count: requests.count)
        var found: [(index: Int, delivery: PendingDelivery, reason: String)] = []
        for (index, result) in read(requests.map(\.id)).enumerated() {
            switch result {
            case .found(var delivery):
                let request = requests[index]
                if let attempts = request.attempts { delivery.attempts = attempts }
                if let lastError = request.lastError { delivery.lastError = lastError }
                found.append((index, delivery, request.reason))
            case .notPending:
                outcomes[index] = .notPending
            case .failed(let error):
                outcomes[index] = .failed(error)
            }
        }
        guard !found.isEmpty else { return outcomes }
        do throws(JournalError) {
            do throws(JournalError) {
                try letters.add(found.map { ($0.delivery, $0.reason) }, at: deadAt)
            } catch {
                let failure = error.during(.deadLetterWrite)
                report(failure)
                throw failure
            }
            let batch = try EncodedBatch(found.map { JournalRecord.dead(id: $0.delivery.id, reason: $0.reason) })
            let (segment, base) = try write(batch.bytes)
            apply(batch.effects, segment: segment, base: base)
            commits += 1
            try? maintain()
            for item in found { outcomes[item.index] = .buried }
        } catch {
            for item in found { outcomes[item.index] = .failed(error) }
        }
        return outcomes
    }

    func closeFiles() {
        for fd in readFDs.values { Glibc.close(fd) }
        readFDs.removeAll()
        if headFD >= 0 {
            Glibc.close(headFD)
            headFD = -1
        }
        if lockFD >= 0 { Glibc.close(lockFD) }
    }
}
