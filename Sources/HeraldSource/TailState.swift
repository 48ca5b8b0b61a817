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

/// Everything ``TailState`` decides from.
public struct TailObservation: Sendable, Equatable {
    /// The file the path names now; `nil` when there is none.
    public var path: FileObservation?
    /// The file behind the open descriptor; `nil` when none is open.
    public var descriptor: FileObservation?
    /// The checkpoint's file found under another name in the same directory (it was renamed by a
    /// rotation while Herald was stopped). Looked for only while ``TailState/wantsRenamedCheckpointFile``.
    public var renamedCheckpointFile: FileObservation?
    /// Bytes consumed from the open descriptor: the offset of the next read.
    public var readOffset: Int64
    /// The last read on the open descriptor returned no bytes.
    public var atEOF: Bool

    public init(
        path: FileObservation?,
        descriptor: FileObservation? = nil,
        renamedCheckpointFile: FileObservation? = nil,
        readOffset: Int64 = 0,
        atEOF: Bool = true
    ) {
        self.path = path
        self.descriptor = descriptor
        self.renamedCheckpointFile = renamedCheckpointFile
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
    /// then follow the path.
    case resumedRenamed = "resumed_renamed"
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
    /// Open the checkpoint's file under the other name it was observed with
    /// (``TailObservation/renamedCheckpointFile``); the path's file follows once it is read to its end.
    case openRenamed(OpenPosition)
    /// Read more from the open descriptor.
    case read
    /// The path names another file: read the open descriptor to its end, then observe again.
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
/// Truncation is seen only as "the file is shorter than what was read" or "its first bytes changed":
/// a copytruncate followed by a refill past the old offset with the same first bytes goes unnoticed,
/// and the lines between are lost. Rename rotation does not have this problem.
public struct TailState: Sendable {
    enum Phase: Sendable, Equatable {
        /// Before the first observation.
        case initial
        /// No file open; the next file that appears is read from 0 unless it is the checkpoint's.
        case waiting
        /// Reading the open descriptor, which the path (last we looked) still names.
        case reading(FileIdentity, Fingerprint)
        /// Reading the open descriptor to its end before switching to the path's new file.
        case draining(FileIdentity, Fingerprint)
    }

    public let path: String
    public let startAt: StartPosition
    /// The checkpoint to resume from, until the first file is opened.
    public private(set) var checkpoint: Checkpoint?
    private(set) var phase: Phase = .initial

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

    /// True while a checkpoint waits to be resumed: the shell should then look for the checkpoint's
    /// file under another name when the path does not name it.
    public var wantsRenamedCheckpointFile: Bool {
        checkpoint != nil
    }

    public mutating func decide(_ observation: TailObservation) -> TailAction {
        switch phase {
        case .initial, .waiting:
            return decideWithoutFile(observation)
        case .reading(let identity, let fingerprint):
            return decideReading(identity, fingerprint, observation, draining: false)
        case .draining(let identity, let fingerprint):
            return decideReading(identity, fingerprint, observation, draining: true)
        }
    }

    private mutating func decideWithoutFile(_ observation: TailObservation) -> TailAction {
        let firstRun = phase == .initial && checkpoint == nil
        if let checkpoint, observation.path.map({ !resumes(checkpoint, in: $0) }) ?? true,
            let renamed = observation.renamedCheckpointFile, resumes(checkpoint, in: renamed)
        {
            self.checkpoint = nil
            phase = .reading(renamed.identity, renamed.fingerprint)
            return .openRenamed(.offset(checkpoint.offset, linesBefore: checkpoint.lineNumber))
        }
        guard let file = observation.path else {
            phase = .waiting
            return .wait
        }
        defer { checkpoint = nil }
        phase = .reading(file.identity, file.fingerprint)
        if let checkpoint {
            if resumes(checkpoint, in: file) {
                return .open(.offset(checkpoint.offset, linesBefore: checkpoint.lineNumber), .resumed)
            }
            return .open(.offset(0, linesBefore: 0), .checkpointMismatch)
        }
        if firstRun {
            switch startAt {
            case .beginning: return .open(.offset(0, linesBefore: 0), .firstRun)
            case .end: return .open(.end, .firstRun)
            }
        }
        return .open(.offset(0, linesBefore: 0), .appeared)
    }

    private func resumes(_ checkpoint: Checkpoint, in file: FileObservation) -> Bool {
        guard checkpoint.identity == file.identity, file.size >= checkpoint.offset, checkpoint.offset >= 0,
            let saved = Fingerprint(hex: checkpoint.fingerprint)
        else { return false }
        return saved.isConsistent(with: file.fingerprint)
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
        guard let file = observation.path, file.identity != identity else {
            if draining, observation.path != nil {
                phase = .reading(identity, known)
            }
            return .wait
        }
        if draining {
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
