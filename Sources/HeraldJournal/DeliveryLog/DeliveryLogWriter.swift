import Glibc

/// The file side of ``DeliveryLog``: appends encoded batches to `deliveries.jsonl` and rotates
/// it by size. Confined to the log's serial queue, hence `@unchecked Sendable`.
final class DeliveryLogWriter: @unchecked Sendable {
    private let directory: String
    private let options: DeliveryLogOptions
    private var fd: Int32
    private var size: Int64
    /// The file may end in a torn line (a crash, a failed write): start the next write on a new line.
    private var needsNewline: Bool
    /// A failure was reported and nothing has been written since: report the next one only after a success.
    private var failing = false

    private var path: String { "\(directory)/\(DeliveryLogFiles.current)" }

    init(directory: String, options: DeliveryLogOptions) throws(JournalError) {
        self.directory = directory
        self.options = options
        for age in try DeliveryLogFiles.ages(in: directory) where age > options.keep {
            try FileIO.unlink("\(directory)/\(DeliveryLogFiles.name(age: age))")
        }
        let path = "\(directory)/\(DeliveryLogFiles.current)"
        fd = try FileIO.open(path, O_RDWR | O_APPEND | O_CREAT)
        do throws(JournalError) {
            size = try FileIO.size(fd, path: path)
            let lastByte = size > 0 ? try FileIO.pread(fd, count: 1, offset: size - 1, path: path) : [0x0A]
            needsNewline = lastByte != [0x0A]
        } catch {
            Glibc.close(fd)
            throw error
        }
    }

    /// The sequence number of the last record in the log, 0 when it has none.
    static func lastSequence(in directory: String) throws(JournalError) -> UInt64 {
        for age in try DeliveryLogFiles.ages(in: directory) {
            let path = "\(directory)/\(DeliveryLogFiles.name(age: age))"
            let fd = try FileIO.open(path, O_RDONLY)
            defer { Glibc.close(fd) }
            var found: Int64?
            try BackwardLineScanner.scan(fd: fd, path: path, end: try FileIO.size(fd, path: path)) { _, line in
                found = FlatJSONScanner.leadingInteger("seq", in: line)?.value
                return found == nil
            }
            if let found { return UInt64(max(0, found)) }
        }
        return 0
    }

    /// Encodes and appends `records`, rotating before a record would pass `maxFileBytes`.
    /// Returns how many reached the file and, after a failure, a message for the operator.
    func write(_ records: [DeliveryAttemptRecord]) -> (written: Int, problem: String?) {
        guard fd >= 0 else { return (0, nil) }
        var out: [UInt8] = []
        out.reserveCapacity(records.count * 400)
        if needsNewline { out.append(0x0A) }
        var encoded = 0
        var written = 0
        do throws(JournalError) {
            for record in records {
                let before = out.count
                record.appendJSON(to: &out)
                out.append(0x0A)
                if size + Int64(out.count) > options.maxFileBytes, size + Int64(before) > 0 {
                    try append(Array(out[..<before]))
                    written = encoded
                    try rotate()
                    out.removeSubrange(..<before)
                }
                encoded += 1
            }
            try append(out)
            failing = false
            return (records.count, nil)
        } catch {
            needsNewline = true
            defer { failing = true }
            return (written, failing ? nil : "delivery log: \(error.message); dropping log records until writing works again (deliveries are not affected)")
        }
    }

    func close() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }

    deinit { close() }

    private func append(_ bytes: [UInt8]) throws(JournalError) {
        guard !bytes.isEmpty else { return }
        try FileIO.writeAll(fd, bytes, path: path)
        size += Int64(bytes.count)
        needsNewline = false
    }

    private func rotate() throws(JournalError) {
        try DeliveryLogFiles.rotate(in: directory, keep: options.keep)
        let fresh = try FileIO.open(path, O_WRONLY | O_APPEND | O_CREAT)
        Glibc.close(fd)
        fd = fresh
        size = try FileIO.size(fd, path: path)
    }
}
