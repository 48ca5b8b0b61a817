/// The first bytes of a file (up to 256), which tell a file apart from another one that reuses its
/// inode, or from its own contents rewritten in place.
///
/// Fingerprints of one file taken at different sizes differ in length, so they are compared by
/// prefix: see ``isConsistent(with:)``.
public struct Fingerprint: Hashable, Sendable, CustomStringConvertible {
    public static let maxBytes = 256

    public private(set) var bytes: [UInt8]

    public init(_ bytes: some Collection<UInt8>) {
        self.bytes = Array(bytes.prefix(Self.maxBytes))
    }

    /// Parses lowercase or uppercase hex; `nil` when malformed.
    public init?(hex: String) {
        let digits = Array(hex.utf8)
        guard digits.count % 2 == 0, digits.count / 2 <= Self.maxBytes else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        var index = 0
        while index < digits.count {
            guard let high = Self.nibble(digits[index]), let low = Self.nibble(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        self.bytes = bytes
    }

    public var hex: String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    public var description: String { hex }

    /// True when both could have been read from the same file: the shorter is a prefix of the longer.
    public func isConsistent(with other: Fingerprint) -> Bool {
        let length = min(bytes.count, other.bytes.count)
        return bytes[..<length] == other.bytes[..<length]
    }

    /// True when the bytes begin like a compressed archive (gzip, bzip2, xz, zstd, lz4, zip): such
    /// a file in the directory is an old file that rotation compressed, never one to read as lines.
    public var looksCompressed: Bool {
        let magics: [[UInt8]] = [
            [0x1F, 0x8B], [0x42, 0x5A, 0x68], [0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00], [0x28, 0xB5, 0x2F, 0xFD],
            [0x04, 0x22, 0x4D, 0x18], [0x50, 0x4B, 0x03, 0x04],
        ]
        return magics.contains { bytes.starts(with: $0) }
    }

    /// The longer of two consistent fingerprints.
    func longer(_ other: Fingerprint) -> Fingerprint {
        other.bytes.count > bytes.count ? other : self
    }

    private static func nibble(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
