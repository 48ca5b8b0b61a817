/// What `stat` says of the config file: enough to notice an edit in place, a file replaced by
/// rename (editors, `kubectl apply` with a plain file) or the symlink swap Kubernetes does
/// for a mounted ConfigMap (the path resolves to a new file).
public struct FileStamp: Sendable, Equatable {
    public var device: UInt64
    public var inode: UInt64
    public var size: Int64
    public var modifiedNanoseconds: Int64

    public init(device: UInt64, inode: UInt64, size: Int64, modifiedNanoseconds: Int64) {
        self.device = device
        self.inode = inode
        self.size = size
        self.modifiedNanoseconds = modifiedNanoseconds
    }
}

/// Decides when `watch: true` reloads: once the config file has changed and then stayed the
/// same for one more look, so a file caught half-written is not loaded. Pure: the caller
/// stats the file at each interval and feeds the result in.
public struct ConfigWatchState: Sendable, Equatable {
    /// The stamp of the file as last loaded (or first seen).
    private var settled: FileStamp?
    /// A changed stamp seen once, waiting to be seen again unchanged.
    private var changing: FileStamp?

    public init(initial: FileStamp?) {
        settled = initial
    }

    /// A change was seen once and waits for the confirming look.
    public var isSettling: Bool { changing != nil }

    /// Takes one look at the file (nil: it cannot be stat'ed right now, e.g. mid-swap) and
    /// says whether to reload now.
    public mutating func observe(_ stamp: FileStamp?) -> Bool {
        guard let stamp else {
            changing = nil
            return false
        }
        if stamp == settled {
            changing = nil
            return false
        }
        guard stamp == changing else {
            changing = stamp
            return false
        }
        settled = stamp
        changing = nil
        return true
    }
}
