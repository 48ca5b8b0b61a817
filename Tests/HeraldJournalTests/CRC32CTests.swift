import Testing

@testable import HeraldJournal

@Suite("CRC-32C")
struct CRC32CTests {
    @Test("the standard check value of \"123456789\" is 0xE3069283")
    func checkValue() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
    }

    @Test("the empty input checksums to zero")
    func empty() {
        #expect(CRC32C.checksum([]) == 0)
    }

    @Test("checksumming in pieces equals checksumming at once, for every split and length")
    func incremental() {
        let bytes = (0..<100).map { UInt8(truncatingIfNeeded: $0 &* 97 &+ 13) }
        for length in 0...bytes.count {
            let whole = Array(bytes[0..<length])
            let expected = CRC32C.checksum(whole)
            for split in 0...length {
                let crc = whole.withUnsafeBytes { buffer in
                    CRC32C.update(
                        CRC32C.update(0, UnsafeRawBufferPointer(rebasing: buffer[0..<split])),
                        UnsafeRawBufferPointer(rebasing: buffer[split...]))
                }
                #expect(crc == expected)
            }
        }
    }

    @Test("slicing-by-8 agrees with the bit-at-a-time definition")
    func matchesBitwise() {
        func bitwise(_ bytes: [UInt8]) -> UInt32 {
            var crc: UInt32 = 0xFFFF_FFFF
            for byte in bytes {
                crc ^= UInt32(byte)
                for _ in 0..<8 { crc = (crc & 1) != 0 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
            }
            return ~crc
        }
        var generator = SystemRandomNumberGenerator()
        for length in [1, 7, 8, 9, 63, 64, 65, 1000] {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            #expect(CRC32C.checksum(bytes) == bitwise(bytes))
            #expect(bytes.withUnsafeBytes { CRC32C.software(0, $0) } == bitwise(bytes))
        }
    }

    @Test("the crc32 instruction and slicing-by-8 agree for every length, start offset and seed")
    func hardwareMatchesSoftware() {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<300).map { _ in UInt8.random(in: 0...255, using: &generator) }
        bytes.withUnsafeBytes { buffer in
            for start in 0..<9 {
                for end in start...buffer.count {
                    let piece = UnsafeRawBufferPointer(rebasing: buffer[start..<end])
                    let seed = UInt32(truncatingIfNeeded: start &* 0x9E37_79B9 &+ end)
                    #expect(CRC32C.update(seed, piece) == CRC32C.software(seed, piece))
                }
            }
        }
    }
}
