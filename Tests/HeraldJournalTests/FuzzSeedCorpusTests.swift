import Foundation
import Testing

@testable import HeraldJournal

/// The FuzzJournal seeds are written by a Python script (Fuzz/make-journal-seeds), not by
/// `RecordCodec`: this holds them to the codec, so the fuzzer starts from frames that decode
/// (a checksum slip there would leave it mutating garbage that never passes the CRC).
@Suite("FuzzJournal seed corpus")
struct FuzzSeedCorpusTests {
    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fuzz/Corpus/FuzzJournal")

    /// Seed name → records it holds and how its frames end, read after the selector byte
    /// (and, for selector 2, the segment header).
    static let expected: [String: (records: Int, end: String)] = [
        "enqueue.bin": (1, "end"), "enqueue-key.bin": (1, "end"), "lifecycle.bin": (3, "end"),
        "dead.bin": (2, "end"), "torn.bin": (1, "torn"), "raw-segment.bin": (2, "end"),
    ]

    @Test("each seed's frames decode as the script meant, and re-encode to the same bytes")
    func seedsDecode() throws {
        for (name, expectation) in Self.expected {
            let input = [UInt8](try Data(contentsOf: Self.corpus.appendingPathComponent(name)))
            var offset = input[0] == 2 ? 1 + RecordCodec.segmentHeaderSize : 1
            if input[0] == 2 {
                guard case .success((7, _)) = RecordCodec.parseSegmentHeader(Array(input[1...])) else {
                    Issue.record("\(name): the segment header does not parse")
                    continue
                }
            }
            var records = 0
            var end = ""
            decoding: while true {
                switch RecordCodec.readFrame(input, at: offset) {
                case .record(let record, let length):
                    #expect(try RecordCodec.frame(record) == Array(input[offset..<offset + length]), "\(name): record \(records)")
                    records += 1
                    offset += length
                case .end: end = "end"; break decoding
                case .torn: end = "torn"; break decoding
                case .corrupt(let reason): end = "corrupt: \(reason)"; break decoding
                }
            }
            #expect(records == expectation.records && end == expectation.end, "\(name): \(records) records, then \(end)")
        }
    }

    @Test("the unknown-version seed is refused by its header")
    func unknownVersion() throws {
        let input = [UInt8](try Data(contentsOf: Self.corpus.appendingPathComponent("bad-version.bin")))
        guard case .failure(.unsupportedVersion(3)) = RecordCodec.parseSegmentHeader(Array(input[1...])) else {
            Issue.record("bad-version.bin is not refused as version 3")
            return
        }
    }
}
