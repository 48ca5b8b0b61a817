import Glibc

/// Thin, throwing wrappers over the POSIX calls the journal, dead letters and spool use.
///
/// State files are private to the user Herald runs as, whatever the umask: files are created
/// 0600 and directories 0700, and an existing one of ours opened for writing is tightened to
/// that. Nothing here follows a symbolic link in the last component of a path (`O_NOFOLLOW`):
/// a link planted at a state file's name is refused with an error naming it, never written
/// through.
enum FileIO {
    /// The mode of every state file.
    static let fileMode: mode_t = 0o600
    /// The mode of every state directory.
    static let directoryMode: mode_t = 0o700

    static func error(_ operation: String, _ path: String, _ code: Int32 = Glibc.errno) -> JournalError {
        // O_NOFOLLOW fails with ELOOP at a link, or ENOTDIR when O_DIRECTORY is asked for too.
        if code == ELOOP || code == ENOTDIR, isSymbolicLink(path) {
            return JournalError(
                .io, "\(operation) \(path): it is a symbolic link, which Herald refuses to follow for its state files "
                    + "(remove the link; state_dir itself may be a link)", errno: ELOOP)
        }
        let reason = String(cString: strerror(code))
        let kind: JournalError.Code = (code == ENOSPC || code == EDQUOT || code == EFBIG) ? .noSpace : .io
        return JournalError(kind, "\(operation) \(path): \(reason)", errno: code)
    }

    /// Whether `path` itself (not what it points to) is a symbolic link.
    static func isSymbolicLink(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFLNK
    }

    /// Opens `path` without following a link at its last component. A file created here gets
    /// `mode` exactly; an existing one of ours opened for writing is tightened to it.
    static func open(_ path: String, _ flags: Int32, mode: mode_t = fileMode) throws(JournalError) -> Int32 {
        while true {
            let fd = Glibc.open(path, flags | O_CLOEXEC | O_NOFOLLOW, mode)
            if fd >= 0 {
                guard flags & (O_WRONLY | O_RDWR) != 0 else { return fd }
                do throws(JournalError) {
                    try restrict(fd, to: mode, path: path)
                } catch {
                    Glibc.close(fd)
                    throw error
                }
                return fd
            }
            if Glibc.errno != EINTR { throw error("open", path) }
        }
    }

    /// Sets the permission bits of the open `fd` to `mode` when they differ and the file is ours
    /// (the umask may have cleared bits at creation; an older Herald made files 0644). A file of
    /// another user is left alone: only its owner or root could change it.
    static func restrict(_ fd: Int32, to mode: mode_t, path: String) throws(JournalError) {
        var info = stat()
        if fstat(fd, &info) != 0 { throw error("stat", path) }
        guard info.st_mode & 0o7777 != mode, info.st_uid == geteuid() else { return }
        while fchmod(fd, mode) != 0 {
            if Glibc.errno != EINTR { throw error("chmod", path) }
        }
    }

    /// Calls `transfer(done)` with the bytes moved so far until `count` are, retrying short
    /// transfers and EINTR. Returns the errno of the first failure (EIO for a transfer of nothing), or 0.
    private static func transferAll(_ count: Int, _ transfer: (Int) -> Int) -> Int32 {
        var done = 0
        while done < count {
            let n = transfer(done)
            if n > 0 {
                done += n
            } else if !(n < 0 && Glibc.errno == EINTR) {
                return n == 0 ? EIO : Glibc.errno
            }
        }
        return 0
    }

    /// Writes all of `buffer` at the file position, retrying short writes and EINTR.
    static func writeAll(_ fd: Int32, _ buffer: UnsafeRawBufferPointer, path: String) throws(JournalError) {
        let failure = transferAll(buffer.count) { Glibc.write(fd, buffer.baseAddress! + $0, buffer.count - $0) }
        if failure != 0 { throw error("write", path, failure) }
    }

    static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws(JournalError) {
        let failure = bytes.withUnsafeBytes { buffer in
            transferAll(buffer.count) { Glibc.write(fd, buffer.baseAddress! + $0, buffer.count - $0) }
        }
        if failure != 0 { throw error("write", path, failure) }
    }

    /// Writes all of `bytes` at `offset` (not at the file position), retrying short writes and
    /// EINTR. Segments are written this way, at the offset the index says their records start:
    /// after a failed write the next one lands at the same place, whatever the file's size.
    static func writeAll(_ fd: Int32, _ bytes: [UInt8], at offset: Int64, path: String) throws(JournalError) {
        let failure = bytes.withUnsafeBytes { buffer in
            transferAll(buffer.count) { Glibc.pwrite(fd, buffer.baseAddress! + $0, buffer.count - $0, off_t(offset) + off_t($0)) }
        }
        if failure != 0 { throw error("write", path, failure) }
    }

    /// Reads exactly `count` bytes at `offset`.
    static func pread(_ fd: Int32, count: Int, offset: Int64, path: String) throws(JournalError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        let failure = bytes.withUnsafeMutableBytes { buffer in
            transferAll(count) { Glibc.pread(fd, buffer.baseAddress! + $0, count - $0, off_t(offset) + off_t($0)) }
        }
        if failure != 0 { throw error("read", path, failure) }
        return bytes
    }

    /// The whole file, read with one `pread` loop.
    static func readFile(_ path: String) throws(JournalError) -> [UInt8] {
        let fd = try open(path, O_RDONLY)
        defer { Glibc.close(fd) }
        return try pread(fd, count: Int(try size(fd, path: path)), offset: 0, path: path)
    }

    static func size(_ fd: Int32, path: String) throws(JournalError) -> Int64 {
        var info = stat()
        if fstat(fd, &info) != 0 { throw error("stat", path) }
        return Int64(info.st_size)
    }

    /// The size of the filesystem holding `path` and the bytes free on it for unprivileged use.
    static func filesystemBytes(_ path: String) -> (total: Int64, available: Int64)? {
        var info = statvfs()
        guard statvfs(path, &info) == 0 else { return nil }
        return (Int64(info.f_blocks) * Int64(info.f_frsize), Int64(info.f_bavail) * Int64(info.f_frsize))
    }

    static func filesystemBytes(fd: Int32) -> (total: Int64, available: Int64)? {
        var info = statvfs()
        guard fstatvfs(fd, &info) == 0 else { return nil }
        return (Int64(info.f_blocks) * Int64(info.f_frsize), Int64(info.f_bavail) * Int64(info.f_frsize))
    }

    /// The size of the file at `path`, or nil if it cannot be stat'ed.
    static func size(atPath path: String) -> Int64? {
        var info = stat()
        return stat(path, &info) == 0 ? Int64(info.st_size) : nil
    }

    static func fdatasync(_ fd: Int32, path: String) throws(JournalError) {
        while Glibc.fdatasync(fd) != 0 {
            if Glibc.errno != EINTR { throw error("fdatasync", path) }
        }
    }

    static func fsync(_ fd: Int32, path: String) throws(JournalError) {
        while Glibc.fsync(fd) != 0 {
            if Glibc.errno != EINTR { throw error("fsync", path) }
        }
    }

    static func truncate(_ fd: Int32, to length: Int64, path: String) throws(JournalError) {
        while ftruncate(fd, off_t(length)) != 0 {
            if Glibc.errno != EINTR { throw error("ftruncate", path) }
        }
    }

    /// Makes a directory's entries (created, renamed, unlinked files) durable.
    static func fsyncDirectory(_ path: String) throws(JournalError) {
        let fd = try open(path, O_RDONLY | O_DIRECTORY)
        defer { Glibc.close(fd) }
        try fsync(fd, path: path)
    }

    /// Creates the directory `path` (0700) if it does not exist, and tightens an existing one of
    /// ours to 0700. A symbolic link at `path` is refused.
    static func makeDirectory(_ path: String) throws(JournalError) {
        if mkdir(path, directoryMode) != 0 && Glibc.errno != EEXIST { throw error("mkdir", path) }
        let fd = try open(path, O_RDONLY | O_DIRECTORY)
        defer { Glibc.close(fd) }
        try restrict(fd, to: directoryMode, path: path)
    }

    /// The bytes the file at `path` takes on disk (its allocated blocks), or nil if it is not a
    /// regular file (a symbolic link is not followed).
    static func allocatedBytes(atPath path: String) -> Int64? {
        var info = stat()
        guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        return Int64(info.st_blocks) * 512
    }

    /// Names in a directory, without `.` and `..`, unsorted.
    static func list(_ path: String) throws(JournalError) -> [String] {
        guard let dir = opendir(path) else { throw error("opendir", path) }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: &entry.pointee.d_name) { pointer in
                pointer.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    static func unlink(_ path: String) throws(JournalError) {
        if Glibc.unlink(path) != 0 && Glibc.errno != ENOENT { throw error("unlink", path) }
    }

    /// Writes `bytes` to a temporary name, fsyncs it, renames it to `path` and fsyncs the
    /// directory, so `path` either does not exist or holds all of `bytes`. The temporary file is
    /// created exclusively under a random name (`.tmp-…`), so nothing planted there is written
    /// through; a link at `name` itself is replaced by the rename, its target untouched.
    ///
    /// - Parameter modified: Unix milliseconds to give the file as its modification time.
    /// - Returns: the bytes the file takes on disk.
    @discardableResult
    static func writeAtomically(_ bytes: [UInt8], directory: String, name: String, syncDirectory: Bool = true,
                                modified: Int64? = nil) throws(JournalError) -> Int64 {
        let temporary = "\(directory)/.tmp-\(getpid())-\(UInt64.random(in: 0...UInt64.max))-\(name)"
        let fd = try open(temporary, O_WRONLY | O_CREAT | O_EXCL)
        let allocated: Int64
        do {
            try writeAll(fd, bytes, path: temporary)
            if let modified { try setModified(fd, to: modified, path: temporary) }
            try fsync(fd, path: temporary)
            var info = stat()
            allocated = fstat(fd, &info) == 0 ? Int64(info.st_blocks) * 512 : Int64(bytes.count)
            Glibc.close(fd)
        } catch {
            Glibc.close(fd)
            try? unlink(temporary)
            throw error
        }
        let target = "\(directory)/\(name)"
        if rename(temporary, target) != 0 {
            let failure = FileIO.error("rename", target)
            try? unlink(temporary)
            throw failure
        }
        if syncDirectory { try fsyncDirectory(directory) }
        return allocated
    }

    /// Sets the modification (and access) time of `fd` to `milliseconds` since the epoch.
    static func setModified(_ fd: Int32, to milliseconds: Int64, path: String) throws(JournalError) {
        let seconds = max(0, milliseconds).quotientAndRemainder(dividingBy: 1000)
        let time = timespec(tv_sec: Int(seconds.quotient), tv_nsec: Int(seconds.remainder) * 1_000_000)
        let times = [time, time]
        if futimens(fd, times) != 0 { throw error("futimens", path) }
    }
}
