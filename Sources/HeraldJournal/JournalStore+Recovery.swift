import Glibc
import OrderedCollections

extension JournalStore {
    /// Reads every segment once, keeping only the index (`entries`) and one small stub per
    /// delivery that became pending: a million-delivery backlog is recovered without copying a
    /// payload. Never destroys what it cannot read: a segment in an unknown format stops it
    /// before anything changes; a damaged record is stepped over to the next valid frame; a
    /// segment with damage is copied to the quarantine directory first. `readOnly` (verify)
    /// changes nothing on disk at all.
    func recover(readOnly: Bool) throws(JournalError) -> JournalRecovery {
        let numbers = try FileIO.list(directory).compactMap(Self.segmentNumber(fromName:)).sorted()
        try refuseUnknownVersions(numbers)
        var stubs: [RecoveredDelivery] = []
        // Room for as many stubs as the segments could hold records: pages never written are never
        // resident, and the array is not copied as it grows (a million stubs are 64 MB).
        let journalBytes = numbers.reduce(Int64(0)) { total, number in total + (FileIO.size(atPath: path(number)) ?? 0) }
        stubs.reserveCapacity(Int(min(journalBytes / 64, 1 << 26)))
        var names = NameTable()
        var position: UInt32 = 0
        var truncatedTail: TornTail?
        var damage: [JournalDamage] = []
        var quarantined: [String] = []
        var recordsRead = 0
        // Resynchronising accepts frames up to twice the largest seen (at least 1 MiB).
        var largestBody = 1 << 19
        // Source lines around each damaged stretch: the newest position before it, and the first
        // as new after it closes the gaps still open. "Newest" by enqueue time, not by place:
        // compaction rewrites old records behind newer ones, and bounding a gap by one of those
        // would read again, and resend, every line since.
        var lastSource: SourcePosition?
        var lastSourceAt = Int64.min
        // The furthest line journaled in every file (several sources, or a glob's files, interleave):
        // where reading each may resume.
        var furthestByFile: [SourcePosition] = []
        // The ids enqueued last, settled or not, for sources whose clients resend (HTTP ingest).
        var recent = RecentIDs(capacity: options.recentEnqueuedIDs)
        func noteFurthest(_ source: SourcePosition) {
            if let last = furthestByFile.indices.last, furthestByFile[last].sameFile(as: source) {
                if source.end > furthestByFile[last].end { furthestByFile[last] = source }
            } else if let index = furthestByFile.firstIndex(where: { $0.sameFile(as: source) }) {
                if source.end > furthestByFile[index].end { furthestByFile[index] = source }
                furthestByFile.swapAt(index, furthestByFile.count - 1)
            } else {
                furthestByFile.append(source)
            }
        }
        var openGaps: [SourceGap] = []
        var gaps: [SourceGap] = []
        var settledAfterDamage: Set<String> = []
        func damaged(_ stretch: JournalDamage, into found: inout [JournalDamage]) {
            found.append(stretch)
            openGaps.append(SourceGap(before: lastSource, after: nil, damage: stretch))
        }

        for (index, number) in numbers.enumerated() {
            let isLast = index == numbers.count - 1
            let name = Self.segmentName(number)
            let segmentPath = path(number)
            var scanner = try SegmentScanner(path: segmentPath)
            defer { scanner.close() }
            segments[number] = Segment(number: number, size: scanner.size)
            var found: [JournalDamage] = []
            // Where the segment's readable records end, when it must be cut there (last segment only).
            var cutAt: Int64?
            let decode = { (reader: inout ByteReader) throws(JournalError) in try RecordCodec.scanBody(&reader, names: &names) }

            switch RecordCodec.parseSegmentHeader(try scanner.bytes(at: 0, count: RecordCodec.segmentHeaderSize)) {
            case .failure(.torn) where isLast:
                // A crash while the segment was being created.
                truncatedTail = TornTail(segment: name, offset: 0, reason: RecordCodec.HeaderProblem.torn.reason)
                cutAt = 0
            case .failure(let problem):
                damaged(JournalDamage(segment: name, offset: 0, length: scanner.size, reason: problem.reason), into: &found)
                if isLast { cutAt = 0 }
            case .success(let header):
                // A segment of an older format is read, never appended to: new records go to a new one.
                if isLast, header.version < RecordCodec.version { headSealed = true }
                var offset = Int64(RecordCodec.segmentHeaderSize)
                scan: while true {
                    switch try scanner.frame(at: offset, decode: decode) {
                    case .end:
                        break scan
                    case .torn(let reason):
                        if isLast {
                            truncatedTail = TornTail(segment: name, offset: offset, reason: reason)
                            cutAt = offset
                        } else {
                            damaged(JournalDamage(segment: name, offset: offset, length: scanner.size - offset, reason: reason), into: &found)
                        }
                        break scan
                    case .corrupt(let reason):
                        let next = try scanner.nextValidFrame(from: offset + 1, maxBodyLength: 2 * largestBody, decode: decode)
                        damaged(JournalDamage(segment: name, offset: offset, length: (next ?? scanner.size) - offset, reason: reason), into: &found)
                        guard let next else {
                            if isLast { cutAt = offset }
                            break scan
                        }
                        offset = next
                    case .record(let record, let length):
                        recordsRead += 1
                        largestBody = max(largestBody, length)
                        if recent.capacity > 0, case .enqueue(let id, _, _, _, _, _, _, _) = record { recent.insert(id) }
                        if case .enqueue(_, _, _, _, _, _, _, let source?) = record { noteFurthest(source) }
                        switch record {
                        case .enqueue(_, _, let enqueuedAt, _, _, _, _, let source?) where enqueuedAt >= lastSourceAt:
                            for gap in openGaps { gaps.append(SourceGap(before: gap.before, after: source, damage: gap.damage)) }
                            openGaps = []
                            lastSource = source
                            lastSourceAt = enqueuedAt
                        case .settle(let id) where !gaps.isEmpty || !openGaps.isEmpty:
                            // Its enqueue may have been in the damage: a re-read line must not send it again.
                            if entries[id] == nil, settledAfterDamage.count < 1 << 20 { settledAfterDamage.insert(id) }
                        default:
                            break
                        }
                        apply(record, length: length, at: offset, in: number, stubs: &stubs, position: &position)
                        offset += Int64(length)
                    }
                    // Stubs of deliveries settled since are dropped as the scan goes, so a journal of
                    // mostly settled records does not hold a stub for each.
                    if stubs.count > 2 * entries.count + 65_536 { stubs.removeAll { entries[$0.id] == nil } }
                }
            }
            damage += found
            guard !readOnly else { continue }
            if !found.isEmpty { quarantined.append(try quarantine(name, damage: found)) }
            if isLast {
                let fd = try FileIO.open(segmentPath, O_WRONLY)
                headFD = fd
                if let cutAt {
                    try FileIO.truncate(fd, to: cutAt, path: segmentPath)
                    segments[number]!.size = cutAt
                    if cutAt == 0 {
                        try FileIO.writeAll(fd, RecordCodec.segmentHeader(number: number), at: 0, path: segmentPath)
                        segments[number]!.size = Int64(RecordCodec.segmentHeaderSize)
                    }
                    try FileIO.fdatasync(fd, path: segmentPath)
                }
            }
        }
        if segments.isEmpty, !readOnly {
            try createSegment(1)
        }
        gaps += openGaps
        Self.keepLivePending(&stubs, in: entries)
        let pending = stubs
        stubs = []
        return JournalRecovery(
            pending: pending, deliveries: options.recoverPayloads ? fullDeliveries(pending) : [],
            truncatedTail: truncatedTail, damage: damage, quarantined: quarantined, segmentsRead: numbers.count,
            recordsRead: recordsRead, sourceGaps: gaps, settledAfterDamage: settledAfterDamage,
            furthestByFile: furthestByFile, recentEnqueued: recent)
    }

    /// A segment written by a newer Herald stops start-up before anything is read or changed:
    /// reading it as damage would throw its deliveries away.
    private func refuseUnknownVersions(_ numbers: [UInt32]) throws(JournalError) {
        for number in numbers {
            let segmentPath = path(number)
            let fd = try FileIO.open(segmentPath, O_RDONLY)
            defer { Glibc.close(fd) }
            let header = try FileIO.pread(fd, count: RecordCodec.segmentHeaderSize, offset: 0, path: segmentPath)
            if case .failure(.unsupportedVersion(let version)) = RecordCodec.parseSegmentHeader(header) {
                throw JournalError(
                    .unsupported,
                    "\(segmentPath) is in journal format version \(version); this Herald reads version \(RecordCodec.version). "
                        + "It was written by a newer Herald: run that version on this state_dir. Nothing was changed.")
            }
        }
    }

    private func apply(_ record: ScannedRecord, length: Int, at offset: Int64, in number: UInt32,
                       stubs: inout [RecoveredDelivery], position: inout UInt32)
    {
        switch record {
        case .enqueue(let id, let endpoint, let enqueuedAt, let attempts, let notBefore, let lastError, let key, _):
            let entry = Entry(segment: number, length: length, offset: offset, notBefore: notBefore, attempts: attempts,
                              error: errorCode(lastError))
            if entries.insertIfAbsent(id, entry) {
                segments[number]!.liveCount += 1
                segments[number]!.liveBytes += Int64(length)
                stubs.append(RecoveredDelivery(id: id, endpoint: endpoint, orderingKey: key, enqueuedAt: enqueuedAt,
                                               notBefore: notBefore, position: position))
                position &+= 1
            } else {
                // Already pending: compacted into this segment. It keeps its place.
                apply(.enqueue(id: id, offset: Int(offset), length: length, attempts: attempts, notBefore: notBefore,
                               lastError: lastError), segment: number, base: 0)
            }
        case .attempt(let id, let attempts, let notBefore, let error):
            apply(.attempt(id: id, attempts: attempts, notBefore: notBefore, error: error), segment: number, base: 0)
        case .settle(let id):
            removeLive(id)
        }
    }

    /// Copies a damaged segment, as it is, to the quarantine directory — once: a copy made at an
    /// earlier start that already holds every damaged byte is kept instead (the segment may have
    /// grown since). Returns the copy's path.
    private func quarantine(_ name: String, damage: [JournalDamage]) throws(JournalError) -> String {
        let folder = options.quarantineDirectory ?? "\(directory)/quarantine"
        try FileIO.makeDirectory(folder)
        let source = "\(directory)/\(name)"
        let size = FileIO.size(atPath: source)
        var copyName = name
        if let existing = FileIO.size(atPath: "\(folder)/\(copyName)") {
            if damage.allSatisfy({ $0.offset + $0.length <= existing }) || existing == size { return "\(folder)/\(copyName)" }
            var stamp = timespec()
            clock_gettime(CLOCK_REALTIME, &stamp)
            copyName = "\(name).\(stamp.tv_sec)"
        }
        try FileIO.writeAtomically(try FileIO.readFile(source), directory: folder, name: copyName)
        return "\(folder)/\(copyName)"
    }

    /// The stubs of deliveries still pending, each once, with their current due time, in read
    /// order. Sorted in place, and only when the enqueue times are out of order (a compacted
    /// delivery, or a clock that stepped back).
    static func keepLivePending(_ live: inout [RecoveredDelivery], in entries: PendingIndex<Entry>) {
        var kept = 0
        for index in live.indices {
            guard let entry = entries[live[index].id] else { continue }
            live[index].notBefore = entry.notBefore
            live.swapAt(kept, index)
            kept += 1
        }
        live.removeLast(live.count - kept)
        // A delivery settled and enqueued again (a replay) has a stub for each time: the latest counts.
        if live.count > entries.count {
            var seen = Set<String>(minimumCapacity: entries.count)
            var latest = [Bool](repeating: false, count: live.count)
            for index in live.indices.reversed() { latest[index] = seen.insert(live[index].id).inserted }
            var kept = 0
            for index in live.indices where latest[index] {
                live.swapAt(kept, index)
                kept += 1
            }
            live.removeLast(live.count - kept)
        }
        if zip(live, live.dropFirst()).contains(where: { RecoveredDelivery.inReadOrder($1, $0) }) {
            live.sort(by: RecoveredDelivery.inReadOrder)
        }
    }

    /// The pending deliveries in full, read back from their records (for callers that asked for
    /// payloads at recovery: tools and tests).
    private func fullDeliveries(_ pending: [RecoveredDelivery]) -> [PendingDelivery] {
        read(pending.map(\.id)).compactMap { result in
            if case .found(let delivery) = result { return delivery }
            return nil
        }
    }
}
