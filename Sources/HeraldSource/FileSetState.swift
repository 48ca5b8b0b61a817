/// Which files of a glob are being read, as a pure state machine in injected time: the shell
/// (``FileSetReader`` in the runtime) lists the directory, reports what its tails see, and carries
/// out the actions.
///
/// - A file that matches is read, in the order it was found, while fewer than `maxOpen` are open;
///   the rest wait. While some wait, an open file that has given no line for `idleHandover` is
///   closed (its checkpoint kept) and queued again behind them, so one quiet file never holds a slot
///   that a busy one needs, and every file gets its turn.
/// - A file no longer listed (deleted, or renamed out of the pattern) whose tail gives no more
///   lines is released after `releaseAfter`: closed for good and its checkpoint removed. One that
///   comes back before then carries on.
/// - A file that matches the pattern but is one that a tracked file was rotated into (same
///   identity, as its checkpoint names it) is not read a second time under its new name.
public struct FileSetState: Sendable {
    public enum Action: Sendable, Equatable {
        /// Start a tail for the path (from its checkpoint, if it has one).
        case open(String)
        /// Stop the path's tail and queue it again; its checkpoint stays.
        case close(String)
        /// Stop the path's tail and forget it: remove its checkpoint.
        case release(String)
    }

    struct OpenFile: Sendable, Equatable {
        var lastActivity: Duration
        var goneSince: Duration?
    }

    public let maxOpen: Int
    public let releaseAfter: Duration
    public let idleHandover: Duration
    private(set) var open: [String: OpenFile] = [:]
    private(set) var waiting: [String] = []
    /// ``waiting`` as a set: a listing of thousands of files asks it for each one.
    private var waitingSet: Set<String> = []
    /// The identities each tracked path's checkpoint accounts for (its file and the rotated ones
    /// behind it): another name with one of them is that file, renamed.
    private var identities: [String: Set<FileIdentity>] = [:]

    public init(maxOpen: Int, releaseAfter: Duration, idleHandover: Duration = .seconds(5)) {
        self.maxOpen = max(1, maxOpen)
        self.releaseAfter = releaseAfter
        self.idleHandover = idleHandover
    }

    public var openPaths: [String] { open.keys.sorted() }
    public var waitingPaths: [String] { waiting }

    /// The directory's matching files now, each with its identity. New ones queue; the queue fills
    /// free slots.
    public mutating func discovered(_ files: [(path: String, identity: FileIdentity)], now: Duration) -> [Action] {
        for file in files where open[file.path] == nil && !waitingSet.contains(file.path) {
            let renamed = identities.contains { $0.key != file.path && $0.value.contains(file.identity) }
            if !renamed { enqueue(file.path) }
        }
        // Listed: there. Not listed: gone since now, unless its tail goes on giving lines (the
        // rest of a deleted file still open) — see ``read(_:identities:now:)``.
        let listed = Set(files.map(\.path))
        for path in open.keys {
            if listed.contains(path) {
                open[path]!.goneSince = nil
            } else if open[path]!.goneSince == nil {
                open[path]!.goneSince = now
            }
        }
        return fill(now: now)
    }

    /// Paths known from checkpoints at start-up: tracked (queued) even if nothing matches them now,
    /// so that the rest of a file rotated while Herald was down is read.
    public mutating func resumed(_ path: String, identities known: Set<FileIdentity>, now: Duration) -> [Action] {
        identities[path] = known
        if open[path] == nil, !waitingSet.contains(path) { enqueue(path) }
        return fill(now: now)
    }

    /// The path's tail gave lines; its checkpoint now accounts for `known`.
    public mutating func read(_ path: String, identities known: Set<FileIdentity>?, now: Duration) {
        guard open[path] != nil else { return }
        open[path]!.lastActivity = now
        open[path]!.goneSince = nil
        if let known { identities[path] = known }
    }

    /// The path's tail found no file at the path and has nothing left to read.
    public mutating func gone(_ path: String, now: Duration) {
        guard open[path] != nil, open[path]!.goneSince == nil else { return }
        open[path]!.goneSince = now
    }

    /// A file is at the path again.
    public mutating func present(_ path: String) {
        open[path]?.goneSince = nil
    }

    /// The path's tail ended by itself (it failed or stopped): its slot is free, and it is queued
    /// again so that reading goes on.
    public mutating func ended(_ path: String, now: Duration) -> [Action] {
        guard open.removeValue(forKey: path) != nil else { return [] }
        enqueue(path)
        return fill(now: now)
    }

    /// Releases what has been gone long enough and hands idle slots to waiting files.
    public mutating func tick(now: Duration) -> [Action] {
        var actions: [Action] = []
        for path in open.keys.sorted() {
            if let since = open[path]?.goneSince, now - since >= releaseAfter {
                open.removeValue(forKey: path)
                identities.removeValue(forKey: path)
                actions.append(.release(path))
            }
        }
        actions += fill(now: now)
        if !waiting.isEmpty {
            let idle = open.filter { now - $0.value.lastActivity >= idleHandover }.map(\.key).sorted {
                (open[$0]!.lastActivity, $0) < (open[$1]!.lastActivity, $1)
            }
            for path in idle.prefix(waiting.count) {
                open.removeValue(forKey: path)
                actions.append(.close(path))
                enqueue(path)
            }
            actions += fill(now: now)
        }
        return actions
    }

    /// When ``tick(now:)`` next has something to do, if anything: a release or a handover.
    public func nextDeadline() -> Duration? {
        var deadline: Duration?
        func consider(_ time: Duration) { deadline = deadline.map { min($0, time) } ?? time }
        for file in open.values {
            if let since = file.goneSince { consider(since + releaseAfter) }
            if !waiting.isEmpty { consider(file.lastActivity + idleHandover) }
        }
        return deadline
    }

    private mutating func enqueue(_ path: String) {
        waiting.append(path)
        waitingSet.insert(path)
    }

    private mutating func fill(now: Duration) -> [Action] {
        var actions: [Action] = []
        while open.count < maxOpen, !waiting.isEmpty {
            let path = waiting.removeFirst()
            waitingSet.remove(path)
            open[path] = OpenFile(lastActivity: now)
            actions.append(.open(path))
        }
        return actions
    }
}
