import Dispatch
import Glibc

/// Follows one file like `tail -F`, yielding batches of complete lines and the checkpoint after them.
///
/// An I/O shell around ``TailState``: it observes the path and the open descriptor whenever a read
/// reaches the end of the file, and carries out the state machine's actions. It wakes on inotify
/// events for the file's directory and, in any case, every `pollInterval`. Blocking work runs on a
/// private dispatch queue, never on the cooperative pool; calls to ``next()`` are served one at a time.
///
/// Follows rename rotation without loss (the old file is read to its end, late writes included, once
/// the new one has data), deletion and re-creation, a file absent at start, and copytruncate —
/// which is lossy when the file refills past the old offset before the tail notices (see
/// ``TailState``); prefer rename rotation. After a restart, a pause or any number of rotations
/// between two looks, the rotation chain is read oldest first: the rest of the checkpoint's file
/// under whatever name it has now, every file rotated after it, then the path's file.
///
/// Limits: only regular files are followed (a pipe is read with ``DescriptorLineSource``); rotated
/// files are looked for in the path's directory only, under names that can be rotated names
/// (``RotatedName``);
/// lines in a file that was moved out of the directory, compressed or deleted before it was read
/// are lost (the checkpoint's file is then reported as ``Notice/lost(_:)``).
public final class FileTail: LineSource, @unchecked Sendable {
    public let configuration: Configuration
    private let producer = ProducerQueue(label: "herald.source.tail")
    /// Confined to the producer's queue.
    private let core: Core

    /// `onNotice` is called on the tail's queue whenever it opens or repositions a file, or starts
    /// waiting for one to appear.
    public init(_ configuration: Configuration, onNotice: (@Sendable (Notice) -> Void)? = nil) {
        self.configuration = configuration
        self.core = Core(configuration: configuration, waker: producer.waker, onNotice: onNotice)
    }

    public convenience init(path: String, startAt: StartPosition = .beginning, checkpoint: Checkpoint? = nil) {
        self.init(Configuration(path: path, startAt: startAt, checkpoint: checkpoint))
    }

    public func next() async throws -> LineBatch? {
        try await producer.next { [self] stopped, cancelled in try core.produce(stopped: stopped, cancelled: cancelled) }
    }

    public func stop() {
        producer.stop()
    }
}

extension FileTail {
    /// The tail's mutable side: descriptor, reader, state machine. Used only on the tail's queue.
    fileprivate final class Core {
        private let configuration: Configuration
        private let waker: Waker
        private let onNotice: (@Sendable (Notice) -> Void)?
        private let watcher: DirectoryWatcher?
        private var state: TailState
        private var reader: LineReader
        private var fd: Int32 = -1
        private var identity = FileIdentity(device: 0, inode: 0)
        /// The open file's first bytes, as long as known, for checkpoints.
        private var fingerprint = Fingerprint([])
        /// A descriptor for the file the path named at the last observation, when it was not the open one.
        private var candidate: Int32 = -1
        /// Descriptors for the directory's listed files at the last observation, by identity.
        private var listed: [FileIdentity: (fd: Int32, name: String)] = [:]
        /// The last read of the open file reached its end.
        private var atEOF = false
        /// `.waitingForFile` was reported since the last file was opened.
        private var announcedWaiting = false

        init(configuration: Configuration, waker: Waker, onNotice: (@Sendable (Notice) -> Void)?) {
            self.configuration = configuration
            self.waker = waker
            self.onNotice = onNotice
            self.state = TailState(
                path: configuration.path, checkpoint: configuration.checkpoint, startAt: configuration.startAt)
            self.reader = LineReader(limits: configuration.limits)
            let (directory, name) = Self.split(configuration.path)
            self.watcher = configuration.useInotify ? DirectoryWatcher(directory: directory, fileName: name) : nil
        }

        deinit {
            if fd >= 0 { close(fd) }
            if candidate >= 0 { close(candidate) }
            for entry in listed.values { close(entry.fd) }
        }

        func produce(stopped: CancellationFlag, cancelled: CancellationFlag) throws -> LineBatch? {
            let limits = configuration.limits
            var lines: [SourceLine] = []
            var bytes = 0
            var checkpoint: Checkpoint?
            func full() -> Bool { lines.count >= limits.maxBatchLines || bytes >= limits.maxBatchBytes }
            func batch() -> LineBatch { LineBatch(lines: lines, checkpoint: checkpoint ?? currentCheckpoint()) }

            while true {
                if stopped.isSet { return nil }
                if fd >= 0 {
                    while !full(), let line = reader.nextLine() {
                        lines.append(line)
                        bytes += line.bytes.count
                    }
                    if full() { return batch() }
                    // Once at the end, look before reading again: new bytes may belong to a
                    // truncated and refilled file, which must be read from 0, not from here.
                    if !atEOF {
                        if try readChunk() { continue }
                    }
                }
                let action = state.decide(observe())
                for file in state.takeLost() { onNotice?(.lost(file)) }
                switch action {
                case .read, .drain:
                    if try readChunk() || action == .drain { continue }
                    // The file looked longer than what was read, but read nothing: do not spin.
                    if !lines.isEmpty { return batch() }
                    try waitForChange(stopped: stopped, cancelled: cancelled)
                case .restartAtZero(let reason):
                    if !lines.isEmpty { checkpoint = currentCheckpoint() }
                    reader.reset(offset: 0, linesBefore: 0)
                    atEOF = false
                    fingerprint = Posix.fingerprint(fd: fd)
                    onNotice?(.positioned(reason, identity, offset: 0))
                    if !lines.isEmpty { return batch() }
                case .open(let position, let reason):
                    if fd >= 0 {
                        if let line = reader.flushPartial() {
                            lines.append(line)
                            bytes += line.bytes.count
                        }
                        if !lines.isEmpty { checkpoint = currentCheckpoint() }
                    }
                    adopt(&candidate, at: position, reason: reason)
                    atEOF = false
                    if !lines.isEmpty { return batch() }
                case .openListed(let identity, let position, let reason):
                    if fd >= 0 {
                        if let line = reader.flushPartial() {
                            lines.append(line)
                            bytes += line.bytes.count
                        }
                        if !lines.isEmpty { checkpoint = currentCheckpoint() }
                    }
                    guard let entry = listed.removeValue(forKey: identity) else {
                        preconditionFailure("TailState opened a file that was not listed")
                    }
                    var opened = entry.fd
                    watcher?.follow(otherName: entry.name)
                    adopt(&opened, at: position, reason: reason)
                    atEOF = false
                    if !lines.isEmpty { return batch() }
                case .wait:
                    if !lines.isEmpty { return batch() }
                    if state.openFile == nil, !announcedWaiting {
                        announcedWaiting = true
                        onNotice?(.waitingForFile)
                    }
                    try waitForChange(stopped: stopped, cancelled: cancelled)
                }
            }
        }

        /// Reads the next chunk of the open file; false at its end.
        private func readChunk() throws -> Bool {
            guard fd >= 0 else { return false }
            if case .bytes = try reader.fill(fd: fd, positional: true) {
                atEOF = false
                return true
            }
            atEOF = true
            return false
        }

        /// The position after the last line returned from the open file.
        private func currentCheckpoint() -> Checkpoint? {
            guard fd >= 0 else { return nil }
            let offset = reader.lineEndOffset
            if fingerprint.bytes.count < min(Int64(Fingerprint.maxBytes), offset) {
                fingerprint = Posix.fingerprint(fd: fd)
            }
            return Checkpoint(
                path: configuration.path,
                identity: identity,
                offset: offset,
                fingerprint: fingerprint,
                lineNumber: reader.linesBefore,
                size: Posix.status(fd: fd).map { Int64($0.st_size) },
                finished: state.finished
            )
        }

        /// Looks at the open descriptor and at what the path names now. When the path names another
        /// file, it is opened now (as `candidate`) so that the file decided on is the file opened.
        private func observe() -> TailObservation {
            closeCandidate()
            var descriptor: FileObservation?
            if fd >= 0, let status = Posix.status(fd: fd) {
                let current = Posix.fingerprint(fd: fd)
                descriptor = FileObservation(identity: identity, size: Int64(status.st_size), fingerprint: current)
                if current.isConsistent(with: fingerprint) { fingerprint = fingerprint.longer(current) }
            }
            var path: FileObservation?
            // Only regular files are followed: opening a FIFO would block, a directory cannot be read.
            if let status = Posix.status(path: configuration.path), status.st_mode & S_IFMT == S_IFREG {
                if let descriptor, Posix.identity(of: status) == descriptor.identity {
                    path = FileObservation(
                        identity: descriptor.identity, size: Int64(status.st_size), fingerprint: descriptor.fingerprint)
                } else {
                    let opened = open(configuration.path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
                    if opened >= 0, let status = Posix.status(fd: opened), status.st_mode & S_IFMT == S_IFREG {
                        candidate = opened
                        path = FileObservation(
                            identity: Posix.identity(of: status),
                            size: Int64(status.st_size),
                            fingerprint: Posix.fingerprint(fd: opened)
                        )
                    } else if opened >= 0 {
                        close(opened)
                    }
                }
            }
            let directory = state.wantsListing(pathNames: path?.identity) ? listDirectory() : nil
            return TailObservation(
                path: path,
                descriptor: descriptor,
                directory: directory,
                readOffset: reader.readOffset,
                atEOF: true
            )
        }

        private func adopt(_ candidate: inout Int32, at position: OpenPosition, reason: TailReason) {
            precondition(candidate >= 0, "TailState opened a file that was not observed")
            if fd >= 0 { close(fd) }
            fd = candidate
            candidate = -1
            let status = Posix.status(fd: fd)
            identity = status.map(Posix.identity(of:)) ?? FileIdentity(device: 0, inode: 0)
            fingerprint = Posix.fingerprint(fd: fd)
            let offset: Int64
            switch position {
            case .offset(let start, let linesBefore):
                offset = start
                reader.reset(offset: start, linesBefore: linesBefore)
            case .end:
                offset = Int64(status?.st_size ?? 0)
                let midLine = offset > 0 && Posix.byte(fd: fd, at: offset - 1) != 0x0A
                reader.reset(offset: offset, linesBefore: nil, skipFirstLine: midLine)
            }
            announcedWaiting = false
            onNotice?(.positioned(reason, identity, offset: offset))
        }

        private func closeCandidate() {
            if candidate >= 0 {
                close(candidate)
                candidate = -1
            }
            for entry in listed.values { close(entry.fd) }
            listed = [:]
        }

        /// Lists the regular files in the path's directory that can be its rotated names
        /// (``RotatedName``), each opened (into `listed`) so that the file decided on is the file opened.
        private func listDirectory() -> [ListedFile] {
            let (directoryPath, name) = Self.split(configuration.path)
            guard let directory = opendir(directoryPath) else { return [] }
            defer { closedir(directory) }
            var files: [ListedFile] = []
            while let entry = readdir(directory) {
                let entryName = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                    String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
                }
                guard RotatedName.matches(entryName, source: name) else { continue }
                let opened = open(directoryPath + "/" + entryName, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW)
                guard opened >= 0 else { continue }
                guard let status = Posix.status(fd: opened), status.st_mode & S_IFMT == S_IFREG else {
                    close(opened)
                    continue
                }
                let identity = Posix.identity(of: status)
                guard listed[identity] == nil else {
                    close(opened)  // a second name (hard link) of a listed file
                    continue
                }
                listed[identity] = (opened, entryName)
                files.append(
                    ListedFile(
                        name: entryName,
                        file: FileObservation(
                            identity: identity, size: Int64(status.st_size), fingerprint: Posix.fingerprint(fd: opened)),
                        modified: Int64(status.st_mtim.tv_sec) * 1_000_000_000 + Int64(status.st_mtim.tv_nsec)
                    ))
            }
            return files
        }

        /// Blocks until inotify reports something about the file, the poll interval passes, or a
        /// stop or cancellation wakes it.
        private func waitForChange(stopped: CancellationFlag, cancelled: CancellationFlag) throws {
            closeCandidate()
            let interval = configuration.pollInterval
            let deadline =
                DispatchTime.now().uptimeNanoseconds
                + UInt64(interval.components.seconds) * 1_000_000_000
                + UInt64(interval.components.attoseconds / 1_000_000_000)
            while true {
                if stopped.isSet { return }
                if cancelled.isSet { throw CancellationError() }
                let now = DispatchTime.now().uptimeNanoseconds
                guard now < deadline else {
                    watcher?.ensureWatching()
                    return
                }
                let timeout = Int32(clamping: (deadline - now + 999_999) / 1_000_000)
                var fds = [waker.fd]
                if let watcher, watcher.isWatching { fds.append(watcher.fd) }
                let result = Posix.poll(fds, timeoutMilliseconds: timeout)
                if result.readable[0] { waker.reset() }
                if result.readable.count > 1, result.readable[1], let watcher, watcher.drainRelevant() {
                    return
                }
            }
        }

        private static func split(_ path: String) -> (directory: String, name: String) {
            guard let slash = path.lastIndex(of: "/") else { return (".", path) }
            let directory = String(path[..<slash])
            return (directory.isEmpty ? "/" : directory, String(path[path.index(after: slash)...]))
        }
    }
}
