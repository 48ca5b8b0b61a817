/// Ordering keys as 64-bit FNV-1a hashes: two keys that collide are merely ordered together,
/// which costs some concurrency and never correctness. 0 means "no key" (it waits for no one).
/// In the journal module because recovery hashes the key straight from the record's bytes.
public enum OrderingKey {
    public static func hash(_ key: String?) -> UInt64 {
        guard let key else { return 0 }
        return hash(bytes: key.utf8)
    }

    public static func hash<Bytes: Sequence<UInt8>>(bytes: Bytes) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        return hash == 0 ? 1 : hash
    }
}
