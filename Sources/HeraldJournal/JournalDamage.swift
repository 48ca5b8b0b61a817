/// Bytes of a segment that recovery could not read as records, and skipped.
///
/// Recovery never destroys what it cannot read: it scans forward to the next valid frame (so
/// the intact records after a flipped byte are kept), and a segment with damage is copied to the
/// quarantine directory before anything in the journal changes.
public struct JournalDamage: Sendable, Equatable, CustomStringConvertible {
    /// Segment file name, e.g. `segment-00000003.log`.
    public var segment: String
    /// Byte offset where the unreadable bytes begin, and how many were skipped.
    public var offset: Int64
    public var length: Int64
    public var reason: String

    public init(segment: String, offset: Int64, length: Int64, reason: String) {
        self.segment = segment
        self.offset = offset
        self.length = length
        self.reason = reason
    }

    public var description: String { "\(segment) bytes \(offset)..<\(offset + length) (\(length) bytes): \(reason)" }
}
