import Glibc
import HeraldJournal
import HeraldSource

/// Where reading the source file resumes: the saved checkpoint, or further when the journal holds
/// deliveries of lines past it. The checkpoint is saved after a batch is journaled, so a crash
/// in between leaves it behind; if the deliveries of those lines were then sent and settled by
/// the next run and that run crashed before its own checkpoint, a third run reading from the old
/// checkpoint would find nothing pending to tell it that those lines were done, and would send
/// them again. The journal's furthest line closes that window: it is the same file (device,
/// inode and first bytes) and beyond the checkpoint, so every line before it was read.
enum SourceResume {
    /// The checkpoint to resume from, or nil to start as the config says (no checkpoint and
    /// nothing known). `advanced` tells the caller that the journal moved it.
    static func checkpoint(_ saved: Checkpoint?, journaled positions: [SourcePosition], path: String) -> (Checkpoint?, advanced: Bool) {
        guard !positions.isEmpty else { return (saved, false) }
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return (saved, false) }
        defer { Glibc.close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0,
            let furthest = positions.first(where: { $0.device == UInt64(info.st_dev) && $0.inode == UInt64(info.st_ino) })
        else { return (saved, false) }
        if let saved {
            guard saved.device == furthest.device, saved.inode == furthest.inode, saved.offset < furthest.end else { return (saved, false) }
        }
        guard Int64(info.st_size) >= furthest.end else { return (saved, false) }
        let head = read(fd, count: furthest.fingerprintLength, at: 0)
        guard head.count == furthest.fingerprintLength, SourcePosition.hash(head) == furthest.fingerprintHash else { return (saved, false) }
        // Fingerprints of one file are compared by prefix: keep the saved one when it is longer.
        var fingerprint = Fingerprint(head)
        if let saved, let old = Fingerprint(hex: saved.fingerprint) {
            guard old.isConsistent(with: fingerprint) else { return (saved, false) }
            if old.bytes.count > fingerprint.bytes.count { fingerprint = old }
        }
        // Line numbers only label what is logged: past 64 MiB to count, they are left unknown.
        let from = saved?.offset ?? 0
        let countable = furthest.end - from <= 64 << 20
        let base: Int? = saved == nil ? 0 : saved?.lineNumber
        let lineNumber = countable ? base.map { $0 + newlines(fd, from: from, to: furthest.end) } : nil
        let advanced = Checkpoint(path: path, device: furthest.device, inode: furthest.inode, offset: furthest.end, fingerprint: fingerprint.hex,
                                  lineNumber: lineNumber, size: Int64(info.st_size), finished: saved?.finished)
        return (advanced, true)
    }

    private static func read(_ fd: Int32, count: Int, at offset: Int64) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        let got = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress, count, off_t(offset)) }
        return got > 0 ? Array(bytes.prefix(got)) : []
    }

    /// Lines between two offsets (newlines counted), for the checkpoint's line number.
    private static func newlines(_ fd: Int32, from start: Int64, to end: Int64) -> Int {
        var count = 0
        var offset = start
        while offset < end {
            let chunk = read(fd, count: Int(min(1 << 20, end - offset)), at: offset)
            if chunk.isEmpty { break }
            count += chunk.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
            offset += Int64(chunk.count)
        }
        return count
    }
}
