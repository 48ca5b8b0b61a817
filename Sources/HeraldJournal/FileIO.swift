import Glibc

/// Thin, throwing wrappers over the POSIX calls the journal, dead letters and spool use.
enum FileIO {
    static func error(_ operation: String, _ path: String, _ code: Int32 = Glibc.errno) -> JournalError {
        let reason = String(cString: strerror(code))
        let kind: JournalError.Code = (code == ENOSPC || code == EDQUOT || code == EFBIG) ? .noSpace : .io
        return JournalError(kind, "\(operation) \(path): \(reason)", errno: code)
    }

    static func open(_ path: String, _ flags: Int32, mode: mode_t = 0o644) throws(JournalError) -> Int32 {
        while true {
            let fd = Glibc.open(path, flags | O_CLOEXEC, mode)
            if fd >= 0 { return fd }
            if Glibc.errno != EINTR { throw error("open", path) }
        }
    }

    /// Writes all of `buffer` at the file position, retrying short writes and EINTR.
    static func writeAll(_ fd: Int32, _ buffer: UnsafeRawBufferPointer, path: String) throws(JournalError) {
        var done = 0
        while done < buffer.count {
            let n = Glibc.write(fd, buffer.baseAddress! + done, buffer.count - done)
            if n > 0 {
                done += n
            } else if n < 0 && Glibc.errno == EINTR {
                continue
            } else {
                throw error("write", path, n == 0 ? EIO : Glibc.errno)
            }
        }
    }

    static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws(JournalError) {
        let failure: JournalError? = bytes.withUnsafeBytes { buffer in
            do throws(JournalError) {
                try writeAll(fd, buffer, path: path)
                return nil
            } catch {
                return error
            }
        }
        if let failure { throw failure }
    }

    /// Reads exactly `count` bytes at `offset`.
    static func pread(_ fd: Int32, count: Int, offset: Int64, path: String) throws(JournalError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var done = 0
        var failure: Int32 = 0
        bytes.withUnsafeMutableBytes { buffer in
            while done < count {
                let n = Glibc.pread(fd, buffer.baseAddress! + done, count - done, off_t(offset) + off_t(done))
                if n > 0 {
                    done += n
                } else if n < 0 && Glibc.errno == EINTR {
                    continue
                } else {
                    failure = n == 0 ? EIO : Glibc.errno
                    return
                }
            }
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

    static func makeDirectory(_ path: String) throws(JournalError) {
        if mkdir(path, 0o755) != 0 && Glibc.errno != EEXIST { throw error("mkdir", path) }
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
    /// directory, so `path` either does not exist or holds all of `bytes`.
    static func writeAtomically(_ bytes: [UInt8], directory: String, name: String, syncDirectory: Bool = true) throws(JournalError) {
        let temporary = "\(directory)/.tmp-\(getpid())-\(UInt64.random(in: 0...UInt64.max))-\(name)"
        let fd = try open(temporary, O_WRONLY | O_CREAT | O_EXCL)
        do {
            try writeAll(fd, bytes, path: temporary)
            try fsync(fd, path: temporary)
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
    }
}
