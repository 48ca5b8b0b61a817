import Glibc

/// The hand-off of replay requests from `herald dead replay` to the sidecar
/// (`state_dir/replay/`).
///
/// The CLI, a separate process, calls `submit(ids:)`: the request is written to a temporary
/// name (`.tmp-…`), fsynced, renamed to `<unix-ms>-<pid>-<random>.replay` and the directory
/// fsynced, so a request file is either complete or invisible. Files are 0600 and the directory
/// 0700: run `herald dead replay` as the user the sidecar runs as. The sidecar calls `take()`
/// whenever it likes (on start, and when inotify reports a file renamed into the directory):
/// it reads every complete request, oldest first, deletes them and returns the ids. This works
/// whether or not a sidecar is running: a request waits in the directory until the next
/// `take()`, which is also why it needs no lock or socket. Files without the trailer line are left for a later
/// `take()` (their writer may still be writing); temporary files abandoned by a crashed
/// writer are deleted after an hour.
///
/// `take()` deletes the requests before the caller acts on them, so a crash right after it
/// drops those requests; the dead letters themselves remain, and `herald dead replay` can
/// simply be run again.
public struct ReplaySpool: Sendable {
    public let directory: String

    private static let header = "herald-replay 1"
    private static let trailer = "end"
    private static let suffix = ".replay"

    /// Opens the spool, creating `directory` if needed (its parent must exist).
    public init(directory: String) throws(JournalError) {
        self.directory = directory
        try FileIO.makeDirectory(directory)
    }

    /// Leaves a durable request to replay the dead letters `ids`; returns the file's name.
    @discardableResult
    public func submit(ids: [String], now: Int64 = Self.unixMilliseconds()) throws(JournalError) -> String {
        for id in ids where id.isEmpty || id.contains(where: \.isNewline) {
            throw JournalError(.invalidArgument, "dead-letter id \"\(id)\" cannot be spooled")
        }
        let stamp = String(max(0, now))
        let name =
            String(repeating: "0", count: max(0, 15 - stamp.count)) + stamp
            + "-\(getpid())-\(UInt32.random(in: 0...UInt32.max))\(Self.suffix)"
        let text = ([Self.header] + ids + [Self.trailer]).joined(separator: "\n") + "\n"
        try FileIO.writeAtomically(Array(text.utf8), directory: directory, name: name)
        return name
    }

    /// Collects the ids of every complete request, oldest request first and each id once,
    /// and deletes those requests. A request that is a symbolic link is not followed: the link is
    /// deleted and `refused` hears why, naming it.
    public func take(now: Int64 = Self.unixMilliseconds(), refused: (JournalError) -> Void = { _ in }) throws(JournalError) -> [String] {
        var ids: [String] = []
        var seen: Set<String> = []
        var taken: [String] = []
        for name in try FileIO.list(directory).sorted() {
            let path = "\(directory)/\(name)"
            if name.hasPrefix(".tmp-") {
                removeIfAbandoned(path, now: now)
                continue
            }
            guard name.hasSuffix(Self.suffix), !name.hasPrefix(".") else { continue }
            let text: String
            do throws(JournalError) {
                text = String(decoding: try FileIO.readFile(path), as: UTF8.self)
            } catch {
                if error.errno == ENOENT { continue }
                if error.errno == ELOOP {
                    refused(error)
                    try FileIO.unlink(path)
                    continue
                }
                throw error
            }
            var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            if lines.last == "" { lines.removeLast() }
            guard lines.count >= 2, lines.first == Self.header, lines.last == Self.trailer else { continue }
            for id in lines.dropFirst().dropLast() where !id.isEmpty && seen.insert(id).inserted {
                ids.append(id)
            }
            taken.append(path)
        }
        for path in taken { try FileIO.unlink(path) }
        if !taken.isEmpty { try FileIO.fsyncDirectory(directory) }
        return ids
    }

    private func removeIfAbandoned(_ path: String, now: Int64) {
        var info = stat()
        guard stat(path, &info) == 0 else { return }
        let modified = Int64(info.st_mtim.tv_sec) * 1000 + Int64(info.st_mtim.tv_nsec) / 1_000_000
        if now - modified > 3_600_000 { try? FileIO.unlink(path) }
    }

    public static func unixMilliseconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000
    }
}
