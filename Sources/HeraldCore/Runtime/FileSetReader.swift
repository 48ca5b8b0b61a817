import Foundation
import HeraldJournal
import HeraldSource
import Logging
import Synchronization

/// Reads a file source: one file, or every file a glob matches, each followed by its own
/// ``FileTail`` with its own checkpoint and rotation handling, ingested concurrently so that one
/// busy file does not starve the others (each journal commit takes a batch from every file that
/// has one). Which files are open is ``FileSetState``'s decision; this shell lists the directory
/// (on inotify hints and on the safety poll), carries out the actions and reports what tails see.
final class FileSetReader: Sendable {
    struct Settings: Sendable {
        var source: SourceConfig
        var sourceIndex: Int
        var stamped: Bool
        var limits: LineLimits
        /// Where each file's checkpoint goes: the state directory's `checkpoint.json` for a single
        /// file of an unnamed source (as before sources could be several), else one per path.
        var checkpoints: Checkpoints
        var pollInterval: Duration = .seconds(1)
        /// How long an open file may give no line before it yields its slot to a waiting one.
        var idleHandover: Duration = .seconds(5)
    }

    enum Checkpoints: Sendable {
        case single(CheckpointStore)
        case perPath(CheckpointDirectory)

        func store(for path: String) -> CheckpointStore {
            switch self {
            case .single(let store): store
            case .perPath(let directory): directory.store(for: path)
            }
        }
    }

    private struct Running {
        var tail: FileTail
        var released = false
        /// The last checkpoint saved for the path, for the lag gauge.
        var checkpoint: Checkpoint?
    }

    private struct Shared {
        var state: FileSetState
        var running: [String: Running] = [:]
        /// Paths whose open failed (logged once until one succeeds).
        var failing: Set<String> = []
        /// Paths to open once their previous tail has finished its last batch (closed for a
        /// waiting file, then their turn came again before it was done).
        var deferred: Set<String> = []
        /// What ``prepare()`` loaded.
        var saved: [Checkpoint] = []
        /// Actions decided off the loop (a tail that ended by itself), for the loop to carry out.
        var pending: [FileSetState.Action] = []
    }

    let settings: Settings
    private let ingestor: Ingestor
    private let logger: Logger
    private let metrics: HeraldMetrics
    /// The journal's furthest line per file at start-up: a checkpoint behind it is moved up.
    private let journaled: [SourcePosition]
    private let reread: RereadGuard
    private let shared: Mutex<Shared>
    /// Set when a tail ends or reports its file gone: the loop looks again at once.
    private let kick = WakeLatch()
    private let started = ContinuousClock.now

    init(_ settings: Settings, ingestor: Ingestor, journaled: [SourcePosition], reread: RereadGuard, logger: Logger, metrics: HeraldMetrics) {
        self.settings = settings
        self.ingestor = ingestor
        self.journaled = journaled
        self.reread = reread
        self.logger = logger
        self.metrics = metrics
        let glob = settings.source.isGlob
        // A single file is never released: it is the source, and may come back at any time.
        shared = Mutex(Shared(state: FileSetState(maxOpen: glob ? settings.source.maxOpenFiles : 1,
                                                  releaseAfter: glob ? settings.source.releaseAfter : .seconds(100 * 365 * 86_400),
                                                  idleHandover: settings.idleHandover)))
    }

    private var now: Duration { ContinuousClock.now - started }

    /// The pattern (or path) read.
    var pattern: String { settings.source.filePattern ?? "" }

    /// Reads until cancelled (graceful shutdown): every tail is stopped, and each file's task ends
    /// after the batch it is journaling.
    func run() async throws {
        let glob = FileGlob(pattern)
        let wakeups = settings.source.isGlob ? DirectoryWakeups(directory: glob.directory, mask: DirectoryWakeups.entriesChanging) : nil
        await withDiscardingTaskGroup { group in
            var actions: [FileSetState.Action] = []
            // Files with checkpoints first, so that a file rotated while Herald was down is finished.
            if settings.source.isGlob {
                for checkpoint in savedCheckpoints() where glob.matches(name: (checkpoint.path as NSString).lastPathComponent) && (checkpoint.path as NSString).deletingLastPathComponent == glob.directory {
                    var known: Set<FileIdentity> = [checkpoint.identity]
                    for file in checkpoint.finished ?? [] { known.insert(file.identity) }
                    actions += shared.withLock { $0.state.resumed(checkpoint.path, identities: known, now: now) }
                }
            } else if !settings.source.isGlob {
                actions += shared.withLock { $0.state.resumed(pattern, identities: [], now: now) }
            }
            var first = true
            while !Task.isCancelled {
                if settings.source.isGlob {
                    let files = glob.matchingFiles()
                    actions += shared.withLock { $0.state.discovered(files, now: now) }
                }
                actions += shared.withLock { shared in
                    defer { shared.pending = [] }
                    return shared.pending + shared.state.tick(now: now)
                }
                for action in actions { perform(action, firstLook: first, in: &group) }
                actions = []
                let ready = shared.withLock { shared in
                    let ready = shared.deferred.filter { shared.running[$0] == nil }
                    shared.deferred.subtract(ready)
                    return ready
                }
                for path in ready.sorted() { open(path, firstLook: false, in: &group) }
                first = false
                let deadline = shared.withLock { $0.state.nextDeadline() }
                var wait = settings.pollInterval
                if let deadline { wait = max(.milliseconds(10), min(wait, deadline - now)) }
                await waitForChange(wakeups, timeout: wait)
            }
            shared.withLock { shared in
                for running in shared.running.values { running.tail.stop() }
            }
        }
    }

    /// Loads the checkpoints saved for this source's files, at start-up: one that cannot be read
    /// (not valid, a planted link) stops start-up with the reason, before anything is read.
    func prepare() throws {
        var found: [Checkpoint] = []
        switch settings.checkpoints {
        case .single(let store):
            try store.removeLeftovers()
            if let checkpoint = try store.load() { found = [checkpoint] }
        case .perPath(let directory):
            try directory.create()
            found = try directory.all()
        }
        shared.withLock { $0.saved = found }
    }

    /// The checkpoints ``prepare()`` found (start-up's recovery bounds its reads with them).
    func savedCheckpoints() -> [Checkpoint] { shared.withLock { $0.saved } }

    /// Bytes not yet journaled across the open files: each file's size minus its checkpoint.
    func lagBytes() -> Int64? {
        let files = shared.withLock { $0.running.map { ($0.key, $0.value.checkpoint) } }
        let lags = files.compactMap { SourceLag.bytes(path: $0.0, checkpoint: $0.1, startAtEnd: settings.source.startAt == .end) }
        return lags.isEmpty ? nil : lags.reduce(0, +)
    }

    private func waitForChange(_ wakeups: DirectoryWakeups?, timeout: Duration) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { [kick] in await kick.wait() }
            group.addTask {
                if let wakeups { await wakeups.wait(timeout: timeout) } else { try? await Task.sleep(for: timeout) }
            }
            await group.next()
            group.cancelAll()
        }
    }

    private func perform(_ action: FileSetState.Action, firstLook: Bool, in group: inout DiscardingTaskGroup) {
        switch action {
        case .open(let path):
            open(path, firstLook: firstLook, in: &group)
        case .close(let path):
            logger.debug("closing an idle file for a waiting one", metadata: ["file": "\(path)"])
            shared.withLock { $0.running[path]?.tail.stop() }
        case .release(let path):
            logger.info("releasing a file gone for good", metadata: [
                "file": "\(path)", "after": "\(ConfigDuration.format(settings.source.releaseAfter))",
            ])
            shared.withLock { shared in
                shared.running[path]?.released = true
                shared.running[path]?.tail.stop()
            }
        }
    }

    private func open(_ path: String, firstLook: Bool, in group: inout DiscardingTaskGroup) {
        let busy = shared.withLock { shared in
            if shared.running[path] != nil { shared.deferred.insert(path) }
            return shared.running[path] != nil
        }
        if busy { return }
        let store = settings.checkpoints.store(for: path)
        var checkpoint: Checkpoint?
        do {
            try store.removeLeftovers()
            checkpoint = try store.load()
        } catch {
            // An unreadable checkpoint is not guessed at: the file waits, and this is said once.
            let first = shared.withLock { $0.failing.insert(path).inserted }
            if first { logger.error("cannot load a file's checkpoint; trying again every 5 s, not reading the file until then", metadata: ["file": "\(path)", "error": "\(error)"]) }
            group.addTask { [self] in
                try? await Task.sleep(for: .seconds(5))
                shared.withLock { $0.pending += $0.state.ended(path, now: now) }
                kick.set()
            }
            return
        }
        if let saved = checkpoint, saved.path != path {
            logger.warning("source file changed since the last run; starting the new file per start_at", metadata: ["old": "\(saved.path)", "new": "\(path)"])
            checkpoint = nil
        }
        let (resume, advanced) = SourceResume.checkpoint(checkpoint, journaled: journaled, path: path)
        if advanced, let resume {
            logger.info("the source checkpoint was behind the journal (a crash before it was saved); resuming after the last journaled line",
                        metadata: ["file": "\(path)", "checkpoint_offset": "\(checkpoint.map { String($0.offset) } ?? "none")", "offset": "\(resume.offset)"])
            checkpoint = resume
        }
        // A file found after start-up is new: read from its beginning whatever start_at says.
        let startAt: StartPosition = firstLook && settings.source.startAt == .end ? .end : .beginning
        let configuration = FileTail.Configuration(path: path, startAt: startAt, checkpoint: checkpoint, pollInterval: settings.pollInterval,
                                                   limits: settings.limits)
        let tail = FileTail(configuration) { [weak self] notice in self?.noticed(notice, path: path) }
        shared.withLock { $0.running[path] = Running(tail: tail, checkpoint: checkpoint) }
        let origin = IngestOrigin(sourceIndex: settings.sourceIndex, metadata: EventMetadata(source: settings.source.name, file: path),
                                  stamped: settings.stamped, checkpoints: store)
        group.addTask { [self] in
            await follow(path, tail: tail, origin: origin)
        }
    }

    /// One file's loop: its batches into the journal, until its tail is stopped or fails.
    private func follow(_ path: String, tail: FileTail, origin: IngestOrigin) async {
        var reread = reread
        do {
            while let batch = try await tail.next() {
                try await ingestor.ingest(batch, from: origin, reread: &reread)
                let known = batch.checkpoint.map { checkpoint in
                    Set([checkpoint.identity] + (checkpoint.finished ?? []).map(\.identity))
                }
                shared.withLock { shared in
                    shared.state.read(path, identities: known, now: now)
                    shared.failing.remove(path)
                    if let checkpoint = batch.checkpoint { shared.running[path]?.checkpoint = checkpoint }
                }
                try await ingestor.waitForRoom()
            }
        } catch is CancellationError {
        } catch {
            // Logged once until it reads again; tried again after a pause, not in a loop.
            if shared.withLock({ $0.failing.insert(path).inserted }) {
                logger.error("reading a source file failed; trying it again every 5 s", metadata: ["file": "\(path)", "error": "\(error)"])
            }
            try? await Task.sleep(for: .seconds(5))
        }
        let released = shared.withLock { shared in
            guard let running = shared.running[path], running.tail === tail else { return false }
            shared.running.removeValue(forKey: path)
            let released = running.released
            if !released, !Task.isCancelled { shared.pending += shared.state.ended(path, now: now) }
            return released
        }
        if released, case .perPath(let directory) = settings.checkpoints { directory.remove(path) }
        kick.set()
    }

    private func noticed(_ notice: FileTail.Notice, path: String) {
        switch notice {
        case .lost(let file):
            metrics.countLostSourceFile(unreadBytes: file.unreadBytes)
            logger.error("source file lost before it was read to its end; its unread lines are lost", metadata: [
                "file": "\(path)", "identity": "\(file.identity)", "offset": "\(file.offset)",
                "unread_bytes": "\(file.unreadBytes.map { "at least \($0)" } ?? "unknown")",
            ])
        case .positioned(let reason, let identity, let offset):
            shared.withLock { $0.state.present(path) }
            logger.info("reading source file", metadata: ["reason": "\(reason.rawValue)", "offset": "\(offset)", "file": "\(path)", "identity": "\(identity)"])
        case .waitingForFile:
            shared.withLock { $0.state.gone(path, now: now) }
            if settings.source.isGlob {
                logger.info("source file is gone; released unless it comes back", metadata: [
                    "file": "\(path)", "release_after": "\(ConfigDuration.format(settings.source.releaseAfter))",
                ])
            } else {
                logger.warning("source file does not exist (yet); waiting for it", metadata: ["file": "\(path)"])
            }
            kick.set()
        }
    }
}
