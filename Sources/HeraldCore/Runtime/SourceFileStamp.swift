import HeraldJournal
import HeraldSource

/// The file a batch of lines was read from, as journal records name it: identity and a hash of
/// its first bytes (see ``SourcePosition``).
struct SourceFileStamp: Sendable, Equatable {
    var identity: FileIdentity
    var fingerprintHash: UInt64
    var fingerprintLength: Int

    init(checkpoint: Checkpoint) {
        let fingerprint = Fingerprint(hex: checkpoint.fingerprint)?.bytes ?? []
        identity = checkpoint.identity
        fingerprintHash = SourcePosition.hash(fingerprint)
        fingerprintLength = fingerprint.count
    }

    init(identity: FileIdentity, fingerprintHash: UInt64, fingerprintLength: Int) {
        self.identity = identity
        self.fingerprintHash = fingerprintHash
        self.fingerprintLength = fingerprintLength
    }

    /// The position of the line that spans `span` in this file.
    func position(of span: Range<Int64>) -> SourcePosition {
        SourcePosition(device: identity.device, inode: identity.inode, fingerprintHash: fingerprintHash,
                       fingerprintLength: fingerprintLength, offset: span.lowerBound, length: span.upperBound - span.lowerBound)
    }
}
