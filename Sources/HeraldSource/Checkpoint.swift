/// A durable position in a tailed file: which file (identity and first bytes) and how far.
///
/// `offset` is just after the newline of the last committed line, so resuming never re-reads it and
/// never skips a partial line.
public struct Checkpoint: Codable, Sendable, Equatable {
    public var path: String
    public var device: UInt64
    public var inode: UInt64
    public var offset: Int64
    /// Hex of the file's first bytes (up to 256) when the checkpoint was taken.
    public var fingerprint: String
    /// Number of lines before `offset` (the 1-based number of the last committed line); `nil` when
    /// unknown, as after starting at the end of a file.
    public var lineNumber: Int?
    /// The file's size when the checkpoint was taken, so that a file lost later can be reported
    /// with the bytes that were not read; `nil` in checkpoints of older versions.
    public var size: Int64?
    /// The files of the rotation chain that are behind this one (see ``FinishedFile``); `nil` in
    /// checkpoints of older versions, which then treat every other file as behind.
    public var finished: [FinishedFile]?

    public init(
        path: String,
        device: UInt64,
        inode: UInt64,
        offset: Int64,
        fingerprint: String,
        lineNumber: Int?,
        size: Int64? = nil,
        finished: [FinishedFile]? = nil
    ) {
        self.path = path
        self.device = device
        self.inode = inode
        self.offset = offset
        self.fingerprint = fingerprint
        self.lineNumber = lineNumber
        self.size = size
        self.finished = finished
    }

    public init(
        path: String,
        identity: FileIdentity,
        offset: Int64,
        fingerprint: Fingerprint,
        lineNumber: Int?,
        size: Int64? = nil,
        finished: [FinishedFile]? = nil
    ) {
        self.init(
            path: path,
            device: identity.device,
            inode: identity.inode,
            offset: offset,
            fingerprint: fingerprint.hex,
            lineNumber: lineNumber,
            size: size,
            finished: finished
        )
    }

    public var identity: FileIdentity { FileIdentity(device: device, inode: inode) }
}
