import Foundation
import Glibc

/// Saves and loads a ``Checkpoint`` as a small JSON file, atomically.
///
/// `save` writes a temporary file beside the target, fsyncs it, renames it over the target and fsyncs
/// the directory, so after a crash the file holds either the old or the new checkpoint. A temporary
/// file left by a crash is never read and is overwritten by the next save.
public struct CheckpointStore: Sendable {
    public var path: String

    public init(path: String) {
        self.path = path
    }

    var temporaryPath: String { path + ".tmp" }

    /// The saved checkpoint, or `nil` when none was ever saved.
    public func load() throws -> Checkpoint? {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch let error as CocoaError where error.code == .fileReadNoSuchFile {
            return nil
        } catch {
            throw SourceError(.checkpointLoad, "cannot read checkpoint \(path): \(error)")
        }
        do {
            return try JSONDecoder().decode(Checkpoint.self, from: data)
        } catch {
            throw SourceError(.checkpointLoad, "checkpoint \(path) is not valid: \(error)")
        }
    }

    public func save(_ checkpoint: Checkpoint) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data: Data
        do {
            data = try encoder.encode(checkpoint)
        } catch {
            throw SourceError(.checkpointSave, "cannot encode checkpoint: \(error)")
        }
        let temporary = temporaryPath
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw failure("open \(temporary)") }
        do {
            defer { close(fd) }
            try data.withUnsafeBytes { buffer in
                var written = 0
                while written < buffer.count {
                    let n = write(fd, buffer.baseAddress! + written, buffer.count - written)
                    if n < 0 {
                        if errno == EINTR { continue }
                        throw failure("write \(temporary)")
                    }
                    written += n
                }
            }
            guard fsync(fd) == 0 else { throw failure("fsync \(temporary)") }
        }
        guard rename(temporary, path) == 0 else { throw failure("rename \(temporary) to \(path)") }
        let directory = Self.directory(of: path)
        let dirFD = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard dirFD >= 0 else { throw failure("open directory \(directory)") }
        defer { close(dirFD) }
        guard fsync(dirFD) == 0 else { throw failure("fsync directory \(directory)") }
    }

    private func failure(_ what: String) -> SourceError {
        let code = errno
        return SourceError(.checkpointSave, "\(what): \(String(cString: strerror(code)))", errno: code)
    }

    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let directory = String(path[..<slash])
        return directory.isEmpty ? "/" : directory
    }
}
