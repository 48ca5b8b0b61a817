import Glibc

/// What names a file independently of its path: device and inode numbers.
public struct FileIdentity: Hashable, Sendable, Codable, CustomStringConvertible {
    public var device: UInt64
    public var inode: UInt64

    public init(device: UInt64, inode: UInt64) {
        self.device = device
        self.inode = inode
    }

    public var description: String { "\(device):\(inode)" }
}

extension FileIdentity {
    /// The identity and size of the regular file at `path` now (links followed); nil when there is none.
    public static func current(at path: String) -> (identity: FileIdentity, size: Int64)? {
        guard let status = Posix.status(path: path), status.st_mode & S_IFMT == S_IFREG else { return nil }
        return (Posix.identity(of: status), Int64(status.st_size))
    }
}
