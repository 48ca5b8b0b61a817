/// One inotify event record, parsed by hand from the kernel's buffer:
/// `wd: Int32, mask: UInt32, cookie: UInt32, len: UInt32` (16 bytes, native byte order), then
/// `len` bytes of NUL-padded name.
struct InotifyRecord: Equatable {
    static let headerSize = 16
    static let queueOverflow: UInt32 = 0x0000_4000
    static let ignored: UInt32 = 0x0000_8000

    var watch: Int32
    var mask: UInt32
    var cookie: UInt32
    /// The name within the watched directory, without padding; empty for events on the directory itself.
    var name: [UInt8]

    /// Every complete record in `buffer`; a truncated trailing record is ignored.
    static func parse(_ buffer: UnsafeRawBufferPointer) -> [InotifyRecord] {
        var records: [InotifyRecord] = []
        var offset = 0
        while buffer.count - offset >= headerSize {
            let watch = buffer.loadUnaligned(fromByteOffset: offset, as: Int32.self)
            let mask = buffer.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self)
            let cookie = buffer.loadUnaligned(fromByteOffset: offset + 8, as: UInt32.self)
            let length = Int(buffer.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self))
            let nameStart = offset + headerSize
            guard buffer.count - nameStart >= length else { break }
            var name = Array(buffer[nameStart..<(nameStart + length)])
            if let nul = name.firstIndex(of: 0) {
                name.removeSubrange(nul...)
            }
            records.append(InotifyRecord(watch: watch, mask: mask, cookie: cookie, name: name))
            offset = nameStart + length
        }
        return records
    }
}
