/// Where a page of the delivery log ended: the next page starts with the attempt recorded just
/// before. Opaque to users (`herald log --cursor`, `/deliveries?cursor=`).
///
/// It names the record's sequence number and where its line starts (file inode and offset).
/// Records appended later do not move it, and rotation renames files without changing their
/// inodes, so it stays valid until its file is deleted by rotation; from then on the listing is
/// at its end (the older records are gone too).
public struct DeliveryLogCursor: Sendable, Hashable, CustomStringConvertible {
    public var sequence: UInt64
    var file: UInt64
    var offset: Int64

    init(sequence: UInt64, file: UInt64, offset: Int64) {
        self.sequence = sequence
        self.file = file
        self.offset = offset
    }

    /// Reads a cursor printed by ``description``; nil for anything else.
    public init?(_ text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, let sequence = UInt64(parts[0], radix: 36), let file = UInt64(parts[1], radix: 36),
            let offset = Int64(parts[2], radix: 36), offset >= 0
        else { return nil }
        self.init(sequence: sequence, file: file, offset: offset)
    }

    public var description: String {
        "\(String(sequence, radix: 36))-\(String(file, radix: 36))-\(String(offset, radix: 36))"
    }
}
