import Glibc

/// Queries a delivery log directory, newest first, while a ``DeliveryLog`` may be appending to
/// it and rotating it (from this process or another: `herald log` reads beside `herald run`).
public struct DeliveryLogReader: Sendable {
    public let directory: String

    /// Attempts recorded at most this long before one that started before `since` stop a
    /// `since` query: lines are in the order attempts finished, roughly that of their start.
    static let sinceSlackMilliseconds: Int64 = 1000

    public init(directory: String) {
        self.directory = directory
    }

    /// True when the directory holds at least one log file.
    public func exists() throws(JournalError) -> Bool {
        !(try DeliveryLogFiles.ages(in: directory).isEmpty)
    }

    /// The attempts matching `query`, newest first, and a cursor when there are more.
    ///
    /// When `budget` runs out first, the page holds what was found (maybe nothing), is marked
    /// ``DeliveryLogPage/partial``, and its cursor continues just before the last line read.
    public func query(_ query: DeliveryLogQuery, budget: DeliveryLogScanBudget = .unlimited) throws(JournalError) -> DeliveryLogPage {
        let files = try openFiles()
        defer { for file in files { Glibc.close(file.fd) } }
        var bound = query.cursor?.sequence ?? .max
        var startIndex = 0
        var startEnd: Int64?
        if let cursor = query.cursor, let index = files.firstIndex(where: { $0.inode == cursor.file }) {
            let file = files[index]
            let head = try BackwardLineScanner.lineStart(fd: file.fd, path: file.path, offset: cursor.offset, size: file.size)
            let sequence = head.withUnsafeBufferPointer { FlatJSONScanner.leadingInteger("seq", in: $0)?.value }
            if sequence == Int64(truncatingIfNeeded: cursor.sequence) {
                startIndex = index
                startEnd = cursor.offset
            }
        }
        let needles = Self.needles(for: query.filter)
        var items: [DeliveryAttemptRecord] = []
        var last: (inode: UInt64, offset: Int64)?
        var more = false
        var done = false
        var meter = DeliveryLogScanMeter(budget)
        /// The last line read, where a page the budget cut short continues.
        var lastRead: DeliveryLogCursor?
        var exhausted = false
        for index in startIndex..<files.count where !done {
            let file = files[index]
            let end = index == startIndex ? (startEnd ?? file.size) : file.size
            if startEnd == nil || index != startIndex, let first = try BackwardLineScanner.firstLine(fd: file.fd, path: file.path, size: file.size),
                let sequence = first.withUnsafeBufferPointer({ FlatJSONScanner.leadingInteger("seq", in: $0)?.value }),
                UInt64(max(0, sequence)) >= bound
            {
                continue  // every record in this file is at or after the cursor
            }
            try BackwardLineScanner.scan(fd: file.fd, path: file.path, end: end) { offset, line in
                if lastRead != nil, meter.spend(line.count) {
                    exhausted = true
                    done = true
                    return false
                }
                guard let (rawSequence, afterSequence) = FlatJSONScanner.leadingInteger("seq", in: line) else { return true }
                let sequence = UInt64(max(0, rawSequence))
                // Strictly decreasing: skips what a rotation during this query made us see twice.
                guard sequence < bound else { return true }
                bound = sequence
                lastRead = DeliveryLogCursor(sequence: sequence, file: file.inode, offset: offset)
                if let since = query.filter.since, let (time, afterTime) = FlatJSONScanner.leadingInteger("time_ms", in: line, at: afterSequence + 1) {
                    let duration = FlatJSONScanner.leadingInteger("duration_ms", in: line, at: afterTime + 1)?.value ?? 0
                    if time + duration < since - Self.sinceSlackMilliseconds {
                        done = true
                        return false
                    }
                }
                for needle in needles where Self.find(needle, in: line) == nil { return true }
                if let status = query.filter.status, !Self.mayMatch(status, line) { return true }
                guard let record = DeliveryAttemptRecord(jsonLine: line), query.filter.matches(record) else { return true }
                if items.count == query.limit {
                    more = true
                    done = true
                    return false
                }
                items.append(record)
                last = (file.inode, offset)
                return true
            }
        }
        if exhausted { return DeliveryLogPage(items: items, nextCursor: lastRead, partial: true) }
        let next = more ? last.map { DeliveryLogCursor(sequence: items[items.count - 1].sequence, file: $0.inode, offset: $0.offset) } : nil
        return DeliveryLogPage(items: items, nextCursor: next)
    }

    private struct OpenFile {
        var path: String
        var fd: Int32
        var inode: UInt64
        var size: Int64
    }

    /// Opens every log file, youngest first, before reading any: a rotation meanwhile renames
    /// files but cannot change what an open descriptor reads.
    private func openFiles() throws(JournalError) -> [OpenFile] {
        var files: [OpenFile] = []
        do throws(JournalError) {
            for age in try DeliveryLogFiles.ages(in: directory) {
                let path = "\(directory)/\(DeliveryLogFiles.name(age: age))"
                // A link planted among the log files is refused, not read out through the admin API.
                let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
                if fd < 0 {
                    if Glibc.errno == ENOENT { continue }  // rotated away since the listing
                    throw FileIO.error("open", path)
                }
                var info = stat()
                if fstat(fd, &info) != 0 {
                    let failure = FileIO.error("stat", path)
                    Glibc.close(fd)
                    throw failure
                }
                files.append(OpenFile(path: path, fd: fd, inode: UInt64(info.st_ino), size: Int64(info.st_size)))
            }
        } catch {
            for file in files { Glibc.close(file.fd) }
            throw error
        }
        return files
    }

    /// Byte strings every matching line contains (`"endpoint":"erp"`), checked before a line is decoded.
    private static func needles(for filter: DeliveryLogFilter) -> [[UInt8]] {
        var needles: [[UInt8]] = []
        func add(_ key: String, _ value: String?) {
            guard let value else { return }
            var needle = Array("\"\(key)\":\"".utf8)
            DeliveryAttemptRecord.appendEscaped(value, to: &needle)
            needle.append(UInt8(ascii: "\""))
            needles.append(needle)
        }
        add("endpoint", filter.endpoint)
        add("route", filter.route)
        add("event_type", filter.eventType?.exact)
        return needles
    }

    private static let statusKey = Array(#""status":"#.utf8)
    private static let noError = Array(#""error":null"#.utf8)

    /// False when the line's raw `status` and `error` already rule it out, so that a status
    /// query over a large log decodes only the lines that may match.
    private static func mayMatch(_ filter: DeliveryStatusFilter, _ line: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let key = find(statusKey, in: line) else { return true }
        let status = FlatJSONScanner.leadingInteger("status", in: line, at: key).map { Int($0.value) }
        let error = find(noError, in: line) == nil
        let success = !error && (status.map { (200..<300).contains($0) } ?? false)
        switch filter {
        case .failed: return !success
        case .delivered: return success
        case .transportError: return error
        case .code(let code): return status == code
        case .statusClass(let digit): return status.map { $0 / 100 == digit } ?? false
        }
    }

    /// Where `needle` starts in `line`.
    private static func find(_ needle: [UInt8], in line: UnsafeBufferPointer<UInt8>) -> Int? {
        guard let base = line.baseAddress, let first = needle.first, line.count >= needle.count else { return needle.isEmpty ? 0 : nil }
        let last = line.count - needle.count
        return needle.withUnsafeBytes { needle in
            var index = 0
            while index <= last, let hit = memchr(base + index, Int32(first), last - index + 1) {
                index = UnsafeRawPointer(base).distance(to: UnsafeRawPointer(hit))
                if memcmp(base + index, needle.baseAddress!, needle.count) == 0 { return index }
                index += 1
            }
            return nil
        }
    }
}
