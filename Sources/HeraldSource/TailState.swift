/// Where a first run (no usable checkpoint) starts reading a file that already exists.
public enum StartPosition: String, Sendable, Codable {
    case beginning
    case end
}

/// A file as seen at one instant: identity, size and first bytes.
public struct FileObservation: Sendable, Equatable {
    public var identity: FileIdentity
    public var size: Int64
    public var fingerprint: Fingerprint

    public init(identity: FileIdentity, size: Int64, fingerprint: Fingerprint) {
        self.identity = identity
        self.size = size
        self.fingerprint = fingerprint
    }
}

/// Another file in the tailed file's directory, a candidate for the rotation chain.
public struct ListedFile: Sendable, Equatable {
    public var name: String
    public var file: FileObservation
    /// Last modification in nanoseconds since the epoch: files rotation renamed before Herald got to
    /// them are read in this order, oldest first.
    public var modified: Int64

    public init(name: String, file: FileObservation, modified: Int64) {
        self.name = name
        self.file = file
        self.modified = modified
    }
}

/// Everything ``TailState`` decides from.
public struct TailObservation: Sendable, Equatable {
    /// The file the path names now; `nil` when there is none.
    public var path: FileObservation?
    /// The file behind the open descriptor; `nil` when none is open.
    public var descriptor: FileObservation?
    /// The regular files in the path's directory under names that can be its rotated names
    /// (`app.log.1`, `app-2026-12-01.log`): rotated files, under whatever names the rotation gave
    /// them. Listed only while ``TailState/wantsListing(pathNames:)``; `nil` when not.
    public var directory: [ListedFile]?
    /// Bytes consumed from the open descriptor: the offset of the next read.
    public var readOffset: Int64
    /// The last read on the open descriptor returned no bytes.
    public var atEOF: Bool

    public init(
        path: FileObservation?,
        descriptor: FileObservation? = nil,
        directory: [ListedFile]? = nil,
        readOffset: Int64 = 0,
        atEOF: Bool = true
    ) {
        self.path = path
        self.descriptor = descriptor
        self.directory = directory
        self.readOffset = readOffset
        self.atEOF = atEOF
    }
}

/// Where to start in a newly opened file.
public enum OpenPosition: Sendable, Equatable {
    /// At `offset`, with `linesBefore` lines before it (`nil` when unknown).
    case offset(Int64, linesBefore: Int?)
    /// At the end of the file as observed; a line in progress there is skipped.
    case end
}

/// Why the tail (re)positioned, for logs and metrics.
public enum TailReason: String, Sendable, Equatable {
    /// First run (no checkpoint), file present: at `startAt`.
    case firstRun = "first_run"
    /// The checkpoint's file is still there, unchanged before the checkpoint: resume after it.
    case resumed
    /// The checkpoint's file was renamed (rotated) while stopped: resume in it under its new name,
    /// then the files rotated after it, then the path.
    case resumedRenamed = "resumed_renamed"
    /// A file that rotation renamed before Herald got to it (Herald was stopped, paused or behind
    /// by two or more rotations): read from 0, oldest first, before the path's file.
    case rotatedUnread = "rotated_unread"
    /// A checkpoint exists but the path now names another file, or the file shrank or was rewritten: from 0.
    case checkpointMismatch = "checkpoint_mismatch"
    /// The path had no file (at start, or after the previous one went away) and now has one: from 0.
    case appeared
    /// The path names a new file (rename rotation, or deletion and re-creation); the old one was read to its end.
    case rotated
    /// The open file became shorter than what was read (copytruncate): from 0.
    case truncated
    /// The open file's first bytes changed (rewritten in place): from 0.
    case rewritten
}

/// What the I/O shell should do next.
public enum TailAction: Sendable, Equatable {
    /// Open the file the path names now (the one observed), closing the current descriptor if any,
    /// whose unterminated last line is delivered as a line first.
    case open(OpenPosition, TailReason)
    /// Open the listed file with this identity (``TailObservation/directory``), closing the current
    /// descriptor if any as for ``open(_:_:)``; the path's file follows once the chain is read.
    case openListed(FileIdentity, OpenPosition, TailReason)
    /// Read more from the open descriptor.
    case read
    /// The path names another file, or a rotated file waits to be read: read the open descriptor to
    /// its end, then observe again.
    case drain
    /// Read the open descriptor again from offset 0, dropping any partial line.
    case restartAtZero(TailReason)
    /// Nothing to do until something changes (inotify or the safety poll).
    case wait
}

/// The tail's decisions as a pure state machine: observations in, actions out. No files, no clock.
///
/// Rename rotation is followed only once the new file has data: until then a writer may still append
/// to the old file (logrotate `create` makes the new file before the writer reopens). When the new
/// file has data, the writer has moved on, so one more read of the old descriptor to its end catches
/// every late write before the switch.
///
/// Rotation chains: when the tail is two or more rotations behind (stopped, paused by the journal
/// budget, or slow), the files between the one it reads and the path's are still in the directory
/// under rotated names (`app.log.1`, `app-2026-12-01.log`, …). They are found by elimination, not by
/// name: a listed file that is neither the open one, nor the path's, nor ``finished`` (read to its
/// end, or there before the first file Herald read), nor compressed, was rotated before Herald got
/// to it. Such files are read to their end from 0, oldest modification first, before the path's
/// file; each file read to its end joins ``finished``, which checkpoints carry across restarts.
/// A checkpoint's file that cannot be found any more is reported (``takeLost()``).
///
/// Truncation is seen only as "the file is shorter than what was read" or "its first bytes changed":
/// a copytruncate followed by a refill past the old offset with the same first bytes goes unnoticed,
/// and the lines between are lost. Rename rotation does not have this problem.
public struct TailState: Sendable {
    enum Phase: Sendable, Equatable {
        /// Before the first observation.
        case initial
        /// No file open; the next file that appears is read from 0.
        case waiting
        /// Reading the open descriptor.
        case reading(FileIdentity, Fingerprint)
        /// Reading the open descriptor to its end before switching to the next file of the chain.
        case draining(FileIdentity, Fingerprint)
    }

    public let path: String
    public let startAt: StartPosition
    /// The checkpoint to resume from, until the first file is opened.
    public private(set) var checkpoint: Checkpoint?
    /// The files behind the open one, for checkpoints (see ``FinishedFile``).
    public private(set) var finished: [FinishedFile] = []
    private(set) var phase: Phase = .initial
    private var lost: [LostFile] = []

    /// A checkpoint taken for another path is ignored.
    public init(path: String, checkpoint: Checkpoint?, startAt: StartPosition) {
        self.path = path
        self.startAt = startAt
        self.checkpoint = checkpoint?.path == path ? checkpoint : nil
    }

    /// The identity and longest known first bytes of the open file.
    public var openFile: (identity: FileIdentity, fingerprint: Fingerprint)? {
        switch phase {
        case .initial, .waiting: nil
        case .reading(let identity, let fingerprint), .draining(let identity, let fingerprint): (identity, fingerprint)
        }
    }

    /// True when the next observation should list the directory: at start, while no file is open,
    /// and while the path names a file other than the open one (a rotation happened). Tailing a
    /// file the path still names never lists.
    public func wantsListing(pathNames identity: FileIdentity?) -> Bool {
        switch phase {
        case .initial, .waiting: true
        case .reading(let open, _), .draining(let open, _): identity != open
        }
    }

    /// The files found lost since the last call: each is to be reported once.
    public mutating func takeLost() -> [LostFile] {
        defer { lost = [] }
        return lost
    }

    public mutating func decide(_ observation: TailObservation) -> TailAction {
        switch phase {
        case .initial, .waiting:
            if checkpoint != nil { return decideFromCheckpoint(observation) }
            if phase == .initial { return decideFirstRun(observation) }
            return decideWithoutFile(observation, reason: .appeared)
        case .reading(let identity, let fingerprint):
            return decideReading(identity, fingerprint, observation, draining: false)
        case .draining(let identity, let fingerprint):
            return decideReading(identity, fingerprint, observation, draining: true)
        }
    }

    /// A first run reads the path's file only: whatever else the directory holds is older.
    private mutating func decideFirstRun(_ observation: TailObservation) -> TailAction {
        finished = (observation.directory ?? []).map(\.file)
            .filter { $0.identity != observation.path?.identity }
            .map { FinishedFile(identity: $0.identity, fingerprint: $0.fingerprint) }
        guard let file = observation.path else {
            phase = .waiting
            return .wait
        }
        phase = .reading(file.identity, file.fingerprint)
        switch startAt {
        case .beginning: return .open(.offset(0, linesBefore: 0), .firstRun)
        case .end: return .open(.end, .firstRun)
        }
    }

    /// The checkpoint's file, wherever the rotation put it; or, once it is known lost, the oldest
    /// rotated file after it, or the path's file. While none is there, the checkpoint waits.
    private mutating func decideFromCheckpoint(_ observation: TailObservation) -> TailAction {
        guard let checkpoint else { return .wait }
        let listing = observation.directory ?? []
        let others = listing.map(\.file).filter { $0.identity != observation.path?.identity }
        let resume = OpenPosition.offset(checkpoint.offset, linesBefore: checkpoint.lineNumber)
        if let file = observation.path, file.identity == checkpoint.identity {
            // Not rotated: nothing is between the checkpoint's file and itself.
            self.checkpoint = nil
            finished = others.map { FinishedFile(identity: $0.identity, fingerprint: $0.fingerprint) }
            phase = .reading(file.identity, file.fingerprint)
            if resumes(checkpoint, in: file) { return .open(resume, .resumed) }
            lost.append(Self.lost(checkpoint))
            return .open(.offset(0, linesBefore: 0), .checkpointMismatch)
        }
        let present = Set(listing.map(\.file.identity))
        // A checkpoint of an older version knows no chain: every other file counts as behind.
        let behind = checkpoint.finished ?? others.map { FinishedFile(identity: $0.identity, fingerprint: $0.fingerprint) }
        finished = behind.filter { present.contains($0.identity) }
        if let renamed = listing.first(where: { resumes(checkpoint, in: $0.file) }) {
            self.checkpoint = nil
            phase = .reading(renamed.file.identity, renamed.file.fingerprint)
            return .openListed(renamed.file.identity, resume, .resumedRenamed)
        }
        if observation.path == nil, oldestUnread(observation, open: nil) == nil {
            phase = .waiting
            return .wait
        }
        self.checkpoint = nil
        lost.append(Self.lost(checkpoint))
        return decideWithoutFile(observation, reason: .checkpointMismatch)
    }

    private static func lost(_ checkpoint: Checkpoint) -> LostFile {
        LostFile(
            identity: checkpoint.identity,
            offset: checkpoint.offset,
            unreadBytes: checkpoint.size.map { max(0, $0 - checkpoint.offset) }
        )
    }

    /// No file open: the oldest rotated file not yet read, else the path's file, from 0.
    private mutating func decideWithoutFile(_ observation: TailObservation, reason: TailReason) -> TailAction {
        if let next = oldestUnread(observation, open: nil) {
            phase = .reading(next.file.identity, next.file.fingerprint)
            return .openListed(next.file.identity, .offset(0, linesBefore: 0), .rotatedUnread)
        }
        guard let file = observation.path else {
            phase = .waiting
            return .wait
        }
        phase = .reading(file.identity, file.fingerprint)
        return .open(.offset(0, linesBefore: 0), reason)
    }

    private func resumes(_ checkpoint: Checkpoint, in file: FileObservation) -> Bool {
        guard checkpoint.identity == file.identity, file.size >= checkpoint.offset, checkpoint.offset >= 0,
            let saved = Fingerprint(hex: checkpoint.fingerprint)
        else { return false }
        return saved.isConsistent(with: file.fingerprint)
    }

    /// The listed file rotation renamed before it was read, oldest first; `nil` when there is none.
    private func oldestUnread(_ observation: TailObservation, open: FileIdentity?) -> ListedFile? {
        (observation.directory ?? [])
            .filter { listed in
                let file = listed.file
                return file.identity != open && file.identity != observation.path?.identity
                    && !file.fingerprint.looksCompressed && !finished.contains { $0.matches(file) }
            }
            .min { ($0.modified, $0.file.identity.inode) < ($1.modified, $1.file.identity.inode) }
    }

    /// The open file was read to its end and is left for the next one: it joins ``finished``, and
    /// files no longer in the directory leave it.
    private mutating func finish(_ identity: FileIdentity, _ fingerprint: Fingerprint, _ observation: TailObservation) {
        let present = Set((observation.directory ?? []).map(\.file.identity))
        finished = finished.filter { present.contains($0.identity) && $0.identity != identity }
        finished.append(FinishedFile(identity: identity, fingerprint: fingerprint))
    }

    private mutating func decideReading(
        _ identity: FileIdentity,
        _ fingerprint: Fingerprint,
        _ observation: TailObservation,
        draining: Bool
    ) -> TailAction {
        guard let descriptor = observation.descriptor else {
            phase = .waiting
            return .wait
        }
        if descriptor.size < observation.readOffset {
            phase = .reading(identity, descriptor.fingerprint)
            return .restartAtZero(.truncated)
        }
        if !fingerprint.isConsistent(with: descriptor.fingerprint) {
            phase = .reading(identity, descriptor.fingerprint)
            return .restartAtZero(.rewritten)
        }
        let known = fingerprint.longer(descriptor.fingerprint)
        phase = draining ? .draining(identity, known) : .reading(identity, known)
        if !observation.atEOF || descriptor.size > observation.readOffset {
            return .read
        }
        // A rotated file still unread is newer than the open one: the writer has left the open
        // file, so once it is read to its end the chain goes on.
        if let next = oldestUnread(observation, open: identity) {
            guard draining else {
                phase = .draining(identity, known)
                return .drain
            }
            finish(identity, known, observation)
            phase = .reading(next.file.identity, next.file.fingerprint)
            return .openListed(next.file.identity, .offset(0, linesBefore: 0), .rotatedUnread)
        }
        guard let file = observation.path, file.identity != identity else {
            if draining, observation.path != nil {
                phase = .reading(identity, known)
            }
            return .wait
        }
        if draining {
            finish(identity, known, observation)
            phase = .reading(file.identity, file.fingerprint)
            return .open(.offset(0, linesBefore: 0), .rotated)
        }
        if file.size == 0 {
            return .wait
        }
        phase = .draining(identity, known)
        return .drain
    }
}
