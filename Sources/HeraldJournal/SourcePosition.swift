/// Where a delivery's event line lies in the file it was read from: enough to read that line
/// again when the delivery's journal record is damaged later (see ``SourceGap``).
///
/// The file is named by device and inode, and told apart from a later file that reuses the inode
/// by a hash of its first bytes (its fingerprint when the line was read).
public struct SourcePosition: Sendable, Hashable, CustomStringConvertible {
    public var device: UInt64
    public var inode: UInt64
    /// FNV-1a of the file's first `fingerprintLength` bytes (at most 256).
    public var fingerprintHash: UInt64
    public var fingerprintLength: Int
    /// Byte offset of the line's first byte, and its length including the newline.
    public var offset: Int64
    public var length: Int64

    public init(device: UInt64, inode: UInt64, fingerprintHash: UInt64, fingerprintLength: Int, offset: Int64, length: Int64) {
        self.device = device
        self.inode = inode
        self.fingerprintHash = fingerprintHash
        self.fingerprintLength = fingerprintLength
        self.offset = offset
        self.length = length
    }

    /// Just after the line's newline.
    public var end: Int64 { offset + length }

    /// True when both positions are in the same file.
    public func sameFile(as other: SourcePosition) -> Bool {
        device == other.device && inode == other.inode && fingerprintHash == other.fingerprintHash
            && fingerprintLength == other.fingerprintLength
    }

    /// FNV-1a 64 of `bytes`: how a file's first bytes are compared without storing them per record.
    public static func hash(_ bytes: some Sequence<UInt8>) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        return hash
    }

    public var description: String { "\(device):\(inode) bytes \(offset)..<\(end)" }
}

/// Source lines whose deliveries may have been in a damaged stretch of the journal: the intact
/// enqueue records just before and just after the damage (in journal order) bound them.
public struct SourceGap: Sendable, Equatable {
    /// The last intact record with a source position before the damage, if any.
    public var before: SourcePosition?
    /// The first one after it; nil when nothing intact with a position follows (the source's
    /// checkpoint then bounds the gap).
    public var after: SourcePosition?
    public var damage: JournalDamage

    public init(before: SourcePosition?, after: SourcePosition?, damage: JournalDamage) {
        self.before = before
        self.after = after
        self.damage = damage
    }
}
