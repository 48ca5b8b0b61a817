/// A file the tail had not finished and can no longer find: the checkpoint's file was deleted,
/// moved out of the directory or compressed while Herald was stopped or paused.
public struct LostFile: Sendable, Equatable {
    public var identity: FileIdentity
    /// Where reading stopped in it.
    public var offset: Int64
    /// Bytes after `offset` that were never read: at least this many (the file may have grown
    /// after its size was last seen); `nil` when its size was never recorded.
    public var unreadBytes: Int64?

    public init(identity: FileIdentity, offset: Int64, unreadBytes: Int64?) {
        self.identity = identity
        self.offset = offset
        self.unreadBytes = unreadBytes
    }
}
