import Glibc

/// Reads again the lines of one stretch of a source file, found by identity rather than by name
/// (it may have been renamed by rotation since): how lines whose journal records were damaged are
/// recovered from the source.
public final class SourceRangeReader {
    public let path: String
    public let identity: FileIdentity
    private let fd: Int32
    private let end: Int64
    private var reader: LineReader
    private var finished = false

    /// Opens the file with `identity` — the path itself, or another file in its directory — whose
    /// first bytes hash to `fingerprintHash` (`hash` computes it from up to `fingerprintLength`
    /// bytes), positioned at `range.lowerBound`; nil when no such file exists any more.
    public init?(near path: String, identity: FileIdentity, fingerprintLength: Int, fingerprintHash: UInt64,
                 hash: ([UInt8]) -> UInt64, range: Range<Int64>, limits: LineLimits) {
        let slash = path.lastIndex(of: "/")
        let directory = slash.map { String(path[..<$0]) }.map { $0.isEmpty ? "/" : $0 } ?? "."
        var candidates = [path]
        if let listing = opendir(directory) {
            while let entry = readdir(listing) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
                if name != ".", name != ".." { candidates.append(directory == "/" ? "/\(name)" : "\(directory)/\(name)") }
            }
            closedir(listing)
        }
        for candidate in candidates {
            guard let status = Posix.status(path: candidate), status.st_mode & S_IFMT == S_IFREG,
                Posix.identity(of: status) == identity
            else { continue }
            let opened = open(candidate, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
            guard opened >= 0 else { continue }
            var first = [UInt8](repeating: 0, count: fingerprintLength)
            let n = fingerprintLength == 0 ? 0 : first.withUnsafeMutableBytes { pread(opened, $0.baseAddress!, fingerprintLength, 0) }
            guard n == fingerprintLength, hash(first) == fingerprintHash else {
                close(opened)
                continue
            }
            self.path = candidate
            self.identity = identity
            fd = opened
            end = min(range.upperBound, Int64(status.st_size))
            reader = LineReader(limits: limits)
            reader.reset(offset: range.lowerBound, linesBefore: nil)
            return
        }
        return nil
    }

    deinit {
        close(fd)
    }

    /// The next lines of the stretch (at most `limits.maxBatchLines`), each with its span; nil at
    /// its end. Throws on a read error.
    public func next() throws -> [SourceLine]? {
        var lines: [SourceLine] = []
        while !finished, lines.count < reader.limits.maxBatchLines {
            if let line = reader.nextLine() {
                if let span = line.span, span.lowerBound >= end {
                    finished = true
                } else {
                    lines.append(line)
                }
                continue
            }
            // The stretch ends at a line's end, so nothing past it is needed; an unterminated tail is
            // a line still being written, which the source reads when it is whole.
            if reader.readOffset >= end { finished = true; continue }
            switch try reader.fill(fd: fd, positional: true) {
            case .bytes: continue
            case .endOfFile, .wouldBlock: finished = true
            }
        }
        return lines.isEmpty ? nil : lines
    }
}
