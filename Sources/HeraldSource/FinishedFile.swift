/// A file of the tailed file's rotation chain that is behind the tail: read to its end, or already
/// in the directory before the first file Herald read.
///
/// Checkpoints carry these so that after a restart (or a long pause) the files still in the
/// directory are told apart from the ones rotation renamed before Herald got to them: those are
/// read, these are not. A file is named by identity plus a digest of its first bytes, so a new
/// file that reuses a finished file's inode is not mistaken for it.
public struct FinishedFile: Codable, Sendable, Equatable {
    public var device: UInt64
    public var inode: UInt64
    /// How many first bytes ``digest`` covers (up to ``Fingerprint/maxBytes``).
    public var length: Int
    /// FNV-1a (64 bits, hex) of those first bytes: short enough to keep many in every checkpoint.
    public var digest: String

    public init(identity: FileIdentity, fingerprint: Fingerprint) {
        device = identity.device
        inode = identity.inode
        length = fingerprint.bytes.count
        digest = Self.digest(fingerprint.bytes[...])
    }

    public var identity: FileIdentity { FileIdentity(device: device, inode: inode) }

    /// True when `file` is this file: same identity, and its first bytes are the ones recorded.
    public func matches(_ file: FileObservation) -> Bool {
        file.identity == identity && file.fingerprint.bytes.count >= length
            && Self.digest(file.fingerprint.bytes.prefix(length)) == digest
    }

    static func digest(_ bytes: ArraySlice<UInt8>) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
