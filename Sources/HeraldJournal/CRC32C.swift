import CCRC32C

/// CRC-32C (Castagnoli), the checksum of every journal record: with the CPU's `crc32`
/// instruction where there is one (SSE 4.2, a small C target), else computed slicing-by-8.
///
/// Written here rather than taken from a dependency because it is twenty lines and sits on the
/// per-event path (and on recovery's, once per record: a tenth of a million-record restart in
/// software); check value: `CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283`.
public enum CRC32C {
    /// Eight 256-entry tables, laid end to end: `tables[k * 256 + b]`.
    private static let tables: [UInt32] = {
        let polynomial: UInt32 = 0x82F6_3B78
        var table = [UInt32](repeating: 0, count: 8 * 256)
        for byte in 0..<256 {
            var crc = UInt32(byte)
            for _ in 0..<8 {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ polynomial : crc >> 1
            }
            table[byte] = crc
        }
        for slice in 1..<8 {
            for byte in 0..<256 {
                let previous = table[(slice - 1) * 256 + byte]
                table[slice * 256 + byte] = (previous >> 8) ^ table[Int(previous & 0xFF)]
            }
        }
        return table
    }()

    /// The CRC-32C of `bytes`.
    public static func checksum(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBytes { update(0, $0) }
    }

    /// Continues `crc` (the result of an earlier call, or 0 to start) over `buffer`.
    public static func update(_ crc: UInt32, _ buffer: UnsafeRawBufferPointer) -> UInt32 {
        var result: UInt32 = 0
        if let base = buffer.baseAddress, herald_crc32c_hardware(crc, base, buffer.count, &result) != 0 { return result }
        return software(crc, buffer)
    }

    /// The same, slicing-by-8 in software (tests compare the two).
    static func software(_ crc: UInt32, _ buffer: UnsafeRawBufferPointer) -> UInt32 {
        tables.withUnsafeBufferPointer { t in
            var c = ~crc
            var position = 0
            let count = buffer.count
            while count - position >= 8 {
                let low = UInt32(littleEndian: buffer.loadUnaligned(fromByteOffset: position, as: UInt32.self)) ^ c
                let high = UInt32(littleEndian: buffer.loadUnaligned(fromByteOffset: position + 4, as: UInt32.self))
                c =
                    t[7 * 256 + Int(low & 0xFF)] ^ t[6 * 256 + Int((low >> 8) & 0xFF)]
                    ^ t[5 * 256 + Int((low >> 16) & 0xFF)] ^ t[4 * 256 + Int(low >> 24)]
                    ^ t[3 * 256 + Int(high & 0xFF)] ^ t[2 * 256 + Int((high >> 8) & 0xFF)]
                    ^ t[1 * 256 + Int((high >> 16) & 0xFF)] ^ t[Int(high >> 24)]
                position += 8
            }
            while position < count {
                c = t[Int((c ^ UInt32(buffer[position])) & 0xFF)] ^ (c >> 8)
                position += 1
            }
            return ~c
        }
    }
}
