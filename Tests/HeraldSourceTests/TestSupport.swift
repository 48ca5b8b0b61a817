import Foundation
import Glibc
import HeraldSource

/// A fresh directory under /tmp, removed by `remove()`.
struct TemporaryDirectory {
    let path: String

    init() {
        path = "/tmp/herald-source-" + UUID().uuidString
        precondition(mkdir(path, 0o700) == 0, "mkdir \(path) failed")
    }

    func file(_ name: String) -> String { path + "/" + name }

    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// A writer holding its own descriptor, as an application appending to a log does: it keeps writing
/// to the same file after a rename.
final class Writer: Sendable {
    let fd: Int32

    init(_ path: String, truncate: Bool = false) {
        fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | (truncate ? O_TRUNC : 0), 0o644)
        precondition(fd >= 0, "open \(path) failed")
    }

    deinit {
        close(fd)
    }

    func write(_ text: String) {
        write(Array(text.utf8))
    }

    func write(_ bytes: [UInt8]) {
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + written, $0.count - written) }
            precondition(n > 0, "write failed")
            written += n
        }
    }
}

func append(_ path: String, _ text: String) {
    Writer(path).write(text)
}

func identity(of path: String) -> FileIdentity? {
    var status = stat()
    guard stat(path, &status) == 0 else { return nil }
    return FileIdentity(device: UInt64(status.st_dev), inode: UInt64(status.st_ino))
}

extension SourceLine {
    var text: String { String(decoding: bytes, as: UTF8.self) }
}

/// Numbered lines `prefix-first` … `prefix-last`, each newline-terminated.
func numbered(_ range: ClosedRange<Int>, prefix: String = "line") -> [String] {
    range.map { "\(prefix)-\($0)" }
}

/// Pulls batches until `count` lines have arrived, or the deadline stops the source.
func collect(
    _ source: some LineSource,
    count: Int,
    within deadline: Duration = .seconds(30)
) async throws -> (lines: [SourceLine], batches: [LineBatch]) {
    let watchdog = Task {
        try await Task.sleep(for: deadline)
        source.stop()
    }
    defer { watchdog.cancel() }
    var lines: [SourceLine] = []
    var batches: [LineBatch] = []
    while lines.count < count, let batch = try await source.next() {
        lines += batch.lines
        batches.append(batch)
    }
    return (lines, batches)
}

/// Lines that arrive within `window` (normally none). The source is stopped afterwards.
func linesArriving(from source: some LineSource, within window: Duration = .milliseconds(400)) async throws
    -> [SourceLine]
{
    let (lines, _) = try await collect(source, count: Int.max, within: window)
    return lines
}

func tailConfiguration(
    _ path: String,
    startAt: StartPosition = .beginning,
    checkpoint: Checkpoint? = nil,
    useInotify: Bool = true,
    limits: LineLimits = LineLimits()
) -> FileTail.Configuration {
    FileTail.Configuration(
        path: path,
        startAt: startAt,
        checkpoint: checkpoint,
        pollInterval: .milliseconds(50),
        useInotify: useInotify,
        limits: limits
    )
}

/// Waits until `condition` holds, checking every few milliseconds, for at most `deadline` (generous: a loaded
/// machine is many times slower than an idle one, and a passing test returns as soon as the condition holds).
func eventually(within deadline: Duration = .seconds(60), _ condition: () -> Bool) async throws {
    let end = ContinuousClock.now + deadline
    while !condition(), ContinuousClock.now < end {
        try await Task.sleep(for: .milliseconds(5))
    }
}
