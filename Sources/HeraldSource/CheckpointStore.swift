import Foundation
import Glibc

/// Saves and loads a ``Checkpoint`` as a small JSON file, atomically and privately.
///
/// `save` writes a temporary file beside the target, fsyncs it, renames it over the target and fsyncs
/// the directory, so after a crash the file holds either the old or the new checkpoint. The
/// temporary file is created exclusively (`O_EXCL`, `O_NOFOLLOW`) under a random name
/// (`.checkpoint.json.tmp-…`), mode 0600, so a file or link planted at a predictable name is never
/// written through; ``removeLeftovers()`` deletes those a crash left. The checkpoint itself is
/// never read through a symbolic link: a link at its path is refused with an error naming it.
public struct CheckpointStore: Sendable {
    public var path: String

    public init(path: String) {
        self.path = path
    }

    /// The fixed temporary name older Herald versions used; a regular file there is deleted, a link refused.
    var legacyTemporaryPath: String { path + ".tmp" }

    private var temporaryPrefix: String {
        let name = path.split(separator: "/", omittingEmptySubsequences: false).last.map(String.init) ?? path
        return "." + name + ".tmp-"
    }

    /// The saved checkpoint, or `nil` when none was ever saved.
    public func load() throws -> Checkpoint? {
        let data: Data
        do {
            guard let read = try Self.readFile(path) else { return nil }
            data = read
        } catch let error as SourceError {
            throw error
        } catch {
            throw SourceError(.checkpointLoad, "cannot read checkpoint \(path): \(error)")
        }
        do {
            return try JSONDecoder().decode(Checkpoint.self, from: data)
        } catch {
            throw SourceError(.checkpointLoad, "checkpoint \(path) is not valid: \(error)")
        }
    }

    /// Deletes temporary files a crash left beside the checkpoint. Call it once at start-up, before
    /// saving (not while a save may run). A symbolic link at the old fixed temporary name is
    /// refused: something put it there to have the checkpoint written through it.
    public func removeLeftovers() throws {
        if Self.isSymbolicLink(legacyTemporaryPath) {
            throw SourceError(.checkpointLoad, "\(legacyTemporaryPath) is a symbolic link; Herald refuses links among its "
                + "state files (remove it)", errno: ELOOP)
        }
        unlink(legacyTemporaryPath)
        let directory = Self.directory(of: path)
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return }
        for name in entries where name.hasPrefix(temporaryPrefix) { unlink(directory + "/" + name) }
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
        let directory = Self.directory(of: path)
        let temporary = "\(directory)/\(temporaryPrefix)\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw failure("open \(temporary)") }
        do {
            defer { close(fd) }
            // The umask may have cleared bits of 0600, never added any: set it exactly.
            guard fchmod(fd, 0o600) == 0 else { throw failure("chmod \(temporary)") }
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
        } catch {
            unlink(temporary)
            throw error
        }
        // rename replaces a link at `path` itself; it never writes to what the link points at.
        guard rename(temporary, path) == 0 else {
            let error = failure("rename \(temporary) to \(path)")
            unlink(temporary)
            throw error
        }
        if Self.isRegularFile(legacyTemporaryPath) { unlink(legacyTemporaryPath) }
        let dirFD = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard dirFD >= 0 else { throw failure("open directory \(directory)") }
        defer { close(dirFD) }
        guard fsync(dirFD) == 0 else { throw failure("fsync directory \(directory)") }
    }

    /// The file's bytes, nil when it does not exist; a symbolic link is refused, not followed.
    private static func readFile(_ path: String) throws -> Data? {
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        if fd < 0 {
            let code = errno
            if code == ENOENT { return nil }
            if code == ELOOP, isSymbolicLink(path) {
                throw SourceError(.checkpointLoad, "checkpoint \(path) is a symbolic link; Herald refuses links among its "
                    + "state files (remove it)", errno: code)
            }
            throw SourceError(.checkpointLoad, "cannot read checkpoint \(path): \(String(cString: strerror(code)))", errno: code)
        }
        defer { close(fd) }
        var data = Data()
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
            if n > 0 {
                data.append(contentsOf: chunk[..<n])
            } else if n == 0 {
                return data
            } else if errno != EINTR {
                let code = errno
                throw SourceError(.checkpointLoad, "cannot read checkpoint \(path): \(String(cString: strerror(code)))", errno: code)
            }
        }
    }

    private static func isSymbolicLink(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFLNK
    }

    private static func isRegularFile(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG
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
