import Glibc

/// Dead letters kept as one file per delivery in a directory (`state_dir/dead/`).
///
/// One file per letter keeps every operation atomic across processes without a lock: `add`
/// writes a temporary file, fsyncs it and renames it into place; `remove` unlinks. So the
/// sidecar can add while `herald dead list` reads, and a crash leaves each letter either
/// whole or absent. Temporary files (`.tmp-…`) are never listed.
///
/// Replay without duplicates: re-enqueue the letter's delivery in the journal under the
/// *same* delivery id, then `remove` it here. A crash in between leaves the letter listed;
/// replaying it again re-enqueues the same id, which the journal treats as a replacement of
/// the pending delivery, not a second one.
///
/// With a ``DeadLetterRetention``, each batch of letters added is followed by a retention pass
/// when there is work (see `DeadLetterStore+Retention.swift`); a letter file's modification time
/// is its dead-letter time, so a pass needs only a `stat` per letter.
public struct DeadLetterStore: Sendable {
    public let directory: String
    /// Nil keeps every letter (the CLI's view of the store).
    public let retention: DeadLetterRetention?
    /// Hears about every retention pass that scanned the directory, on the thread that ran it.
    let onRetention: @Sendable (DeadLetterRetention.Pass) -> Void
    let usage = DeadLetterUsage()
    /// Test seam: a non-nil errno fails the next letter's write with it (a full disk, say).
    var injectWriteFailure: (@Sendable () -> Int32?)? = nil

    private static let magic: [UInt8] = Array("HRLDDEAD".utf8)
    private static let version: UInt8 = 1
    static let suffix = ".dead"

    /// Opens the store, creating `directory` (0700) if needed (its parent must exist).
    public init(directory: String, retention: DeadLetterRetention? = nil,
                onRetention: @escaping @Sendable (DeadLetterRetention.Pass) -> Void = { _ in }) throws(JournalError) {
        self.directory = directory
        self.retention = retention
        self.onRetention = onRetention
        try FileIO.makeDirectory(directory)
    }

    /// The space the letters take on disk, as far as this process knows: exact after a retention
    /// pass, kept current by adds and removals in between.
    public var bytesStored: Int64 { usage.current.bytes }

    /// Stores `delivery` as dead; durable (fsynced, and the directory too) when it returns.
    /// A letter with the same delivery id is replaced.
    public func add(_ delivery: PendingDelivery, reason: String, at deadAt: Int64) throws(JournalError) {
        try write(delivery, reason: reason, at: deadAt, syncDirectory: true)
        applyRetention(now: deadAt)
    }

    /// Stores several letters with one directory sync: each is whole or absent after a crash, and
    /// all are durable when it returns without throwing. A failure stops at that letter; those
    /// already renamed into place stay (adding the same letter again replaces it).
    public func add(_ letters: [(delivery: PendingDelivery, reason: String)], at deadAt: Int64) throws(JournalError) {
        guard !letters.isEmpty else { return }
        for letter in letters { try write(letter.delivery, reason: letter.reason, at: deadAt, syncDirectory: false) }
        try FileIO.fsyncDirectory(directory)
        applyRetention(now: deadAt)
    }

    private func write(_ delivery: PendingDelivery, reason: String, at deadAt: Int64, syncDirectory: Bool) throws(JournalError) {
        if let inject = injectWriteFailure, let code = inject() { throw FileIO.error("open", directory, code) }
        let name = try Self.fileName(for: delivery.id)
        var body = ByteWriter()
        body.signed(deadAt)
        body.string(reason)
        body.blob(try RecordCodec.frame(.enqueue(delivery)))
        var file = ByteWriter()
        file.bytes.append(contentsOf: Self.magic)
        file.byte(Self.version)
        file.fixed32(CRC32C.checksum(body.bytes))
        file.bytes.append(contentsOf: body.bytes)
        let replaced = FileIO.allocatedBytes(atPath: "\(directory)/\(name)") ?? 0
        let bytes = try FileIO.writeAtomically(file.bytes, directory: directory, name: name, syncDirectory: syncDirectory,
                                               modified: deadAt)
        usage.added(bytes: bytes, replaced: replaced, at: deadAt)
    }

    /// Every readable dead letter, newest first (ties by id).
    public func list() throws(JournalError) -> [DeadLetter] {
        try scan().letters
    }

    /// Every readable dead letter, newest first, plus the names of files that could not be
    /// decoded (left in place for an operator to look at).
    public func scan() throws(JournalError) -> (letters: [DeadLetter], unreadable: [String]) {
        var letters: [DeadLetter] = []
        var unreadable: [String] = []
        for name in try FileIO.list(directory) where name.hasSuffix(Self.suffix) && !name.hasPrefix(".") {
            do throws(JournalError) {
                letters.append(try read("\(directory)/\(name)"))
            } catch {
                if error.code == .io, error.errno == ENOENT { continue }
                unreadable.append(name)
            }
        }
        letters.sort { ($0.deadAt, $0.delivery.id) > ($1.deadAt, $1.delivery.id) }
        return (letters, unreadable.sorted())
    }

    /// The dead letter of delivery `id`, if there is one.
    public func get(id: String) throws(JournalError) -> DeadLetter? {
        let path = "\(directory)/\(try Self.fileName(for: id))"
        do {
            return try read(path)
        } catch {
            if error.errno == ENOENT { return nil }
            throw error
        }
    }

    /// Deletes the letters of `ids` (once replayed); unknown ids are ignored. Durable when it
    /// returns. Returns how many letters were removed.
    @discardableResult
    public func remove(ids: some Sequence<String>) throws(JournalError) -> Int {
        var removed = 0
        for id in ids {
            let path = "\(directory)/\(try Self.fileName(for: id))"
            let bytes = FileIO.allocatedBytes(atPath: path) ?? 0
            if Glibc.unlink(path) == 0 {
                usage.removed(bytes: bytes)
                removed += 1
            } else if Glibc.errno != ENOENT {
                throw FileIO.error("unlink", path)
            }
        }
        if removed > 0 { try FileIO.fsyncDirectory(directory) }
        return removed
    }

    private func read(_ path: String) throws(JournalError) -> DeadLetter {
        let bytes = try FileIO.readFile(path)
        let headerSize = Self.magic.count + 1 + 4
        guard bytes.count >= headerSize, Array(bytes[0..<Self.magic.count]) == Self.magic else {
            throw JournalError(.corrupt, "\(path) is not a dead letter")
        }
        guard bytes[Self.magic.count] == Self.version else {
            throw JournalError(.corrupt, "\(path) has unsupported version \(bytes[Self.magic.count])")
        }
        var header = ByteReader(bytes, from: Self.magic.count + 1, to: headerSize)
        let crc = try header.fixed32()
        let body = Array(bytes[headerSize...])
        guard CRC32C.checksum(body) == crc else { throw JournalError(.corrupt, "\(path): checksum mismatch") }
        var reader = ByteReader(body, from: 0, to: body.count)
        let deadAt = try reader.signed()
        let reason = try reader.string()
        let frame = try reader.blob()
        guard case .record(.enqueue(let delivery), _) = RecordCodec.readFrame(frame, at: 0) else {
            throw JournalError(.corrupt, "\(path): delivery does not decode")
        }
        return DeadLetter(delivery: delivery, reason: reason, deadAt: deadAt)
    }

    /// A file name for a delivery id: safe characters kept, others as `%XX`.
    static func fileName(for id: String) throws(JournalError) -> String {
        var name = ""
        for byte in id.utf8 {
            let scalar = Unicode.Scalar(byte)
            let safe =
                (byte < 0x80)
                && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar)
                    || "_-".unicodeScalars.contains(scalar))
            if safe {
                name.unicodeScalars.append(scalar)
            } else {
                let hex = String(byte, radix: 16, uppercase: true)
                name += "%" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        guard !id.isEmpty, name.utf8.count + suffix.utf8.count <= 200 else {
            throw JournalError(.invalidArgument, "delivery id \"\(id)\" cannot name a dead-letter file")
        }
        return name + suffix
    }
}
