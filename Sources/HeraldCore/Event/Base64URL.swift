/// URL-safe base64 without padding (RFC 4648 §5), for ids that travel in headers.
enum Base64URL {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    /// The first `length` characters of the encoding of `bytes`.
    static func encode(_ bytes: [UInt8], length: Int) -> String {
        var output: [UInt8] = []
        output.reserveCapacity(length + 4)
        var index = 0
        while output.count < length, index < bytes.count {
            let b0 = UInt32(bytes[index])
            let b1 = index + 1 < bytes.count ? UInt32(bytes[index + 1]) : 0
            let b2 = index + 2 < bytes.count ? UInt32(bytes[index + 2]) : 0
            let group = b0 << 16 | b1 << 8 | b2
            for shift in [18, 12, 6, 0] { output.append(alphabet[Int((group >> UInt32(shift)) & 0x3F)]) }
            index += 3
        }
        return String(decoding: output.prefix(length), as: UTF8.self)
    }
}
