import Glibc
import HeraldSource
import Testing

@Suite("reading a stretch of a source file again")
struct SourceRangeReaderTests {
    static func fnv(_ bytes: [UInt8]) -> UInt64 {
        bytes.reduce(0xcbf2_9ce4_8422_2325) { ($0 ^ UInt64($1)) &* 0x0000_0100_0000_01B3 }
    }

    @Test("every line's span, oversized lines and small read chunks included, reads the same line back; a stretch yields exactly its lines")
    func spansRoundTrip() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.file("events.jsonl")
        let lines = (0..<300).map { i in i % 37 == 0 ? String(repeating: "x", count: 700) + "\(i)" : "line-\(i)" }
        append(path, lines.joined(separator: "\n") + "\n")
        let limits = LineLimits(maxLineBytes: 512, maxBatchLines: 64, readChunkBytes: 100)
        let id = try #require(identity(of: path))
        let head = Array(lines.joined(separator: "\n").utf8.prefix(256))
        func reader(_ range: Range<Int64>, near: String = path) -> SourceRangeReader? {
            SourceRangeReader(near: near, identity: id, fingerprintLength: head.count, fingerprintHash: Self.fnv(head),
                              hash: Self.fnv, range: range, limits: limits)
        }
        let all = try #require(reader(0..<Int64.max))
        var read: [SourceLine] = []
        while let batch = try all.next() {
            #expect(batch.count <= 64)
            read += batch
        }
        #expect(read.count == 300)
        var offset: Int64 = 0
        for (line, text) in zip(read, lines) {
            #expect(line.span == offset..<(offset + Int64(text.utf8.count) + 1))
            #expect(line.oversized == (text.utf8.count > 512 ? text.utf8.count : nil))
            offset += Int64(text.utf8.count) + 1
        }
        // A stretch from one line's start to another's end: those lines, no more.
        let stretch = read[40].span!.lowerBound..<read[77].span!.upperBound
        let part = try #require(reader(stretch))
        var partLines: [SourceLine] = []
        while let batch = try part.next() { partLines += batch }
        #expect(partLines.map(\.text) == read[40...77].map(\.text))

        // Renamed: found by identity in the same directory; another file's first bytes do not match.
        #expect(rename(path, path + ".1") == 0)
        append(path, "a new file\n")
        #expect(try reader(stretch)?.next()?.first?.text == read[40].text)
        #expect(SourceRangeReader(near: path, identity: id, fingerprintLength: head.count, fingerprintHash: Self.fnv(head) ^ 1,
                                  hash: Self.fnv, range: stretch, limits: limits) == nil, "a fingerprint that does not match is not the file")
        #expect(unlink(path + ".1") == 0)
        #expect(reader(stretch) == nil, "a deleted file is gone")
    }
}
