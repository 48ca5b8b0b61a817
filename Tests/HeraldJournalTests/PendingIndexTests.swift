import Testing

@testable import HeraldJournal

@Suite("journal index")
struct PendingIndexTests {
    @Test("the id hash uses every byte and spreads sequential ids evenly")
    func hashSpreads() {
        // Ids that differ only in their last byte, at every length up to 20 (word and tail paths).
        for length in 1...20 {
            let base = String(repeating: "a", count: length - 1)
            let hashes = Set(["a", "b", "c", "Z", "0"].map { PendingIndex<Int>.hash(base + $0, seed: 7) })
            #expect(hashes.count == 5, "length \(length)")
        }
        #expect(PendingIndex<Int>.hash("abc", seed: 1) != PendingIndex<Int>.hash("abc", seed: 2))
        // 65,536 ids of the form the journal holds, over 256 buckets: none far from the mean of 256.
        var buckets = [Int](repeating: 0, count: 256)
        for n in 0..<65_536 {
            let hash = PendingIndex<Int>.hash("e-\(n)-order.created", seed: 99)
            buckets[Int(hash >> 56)] += 1
        }
        #expect(buckets.min()! > 180 && buckets.max()! < 340, "\(buckets.min()!)...\(buckets.max()!)")
    }

    @Test("behaves like a Dictionary under a long random run of inserts, updates and removals")
    func matchesDictionary() {
        var generator = SeededGenerator(seed: 42)
        var index = PendingIndex<Int>(filler: -1)
        var reference: [String: Int] = [:]
        for step in 0..<60_000 {
            let key = "k\(Int.random(in: 0..<5_000, using: &generator))"
            switch Int.random(in: 0..<10, using: &generator) {
            case 0..<5:
                index[key] = step
                reference[key] = step
            case 5..<8:
                #expect(index.removeValue(forKey: key) == reference.removeValue(forKey: key))
            default:
                #expect(index[key] == reference[key])
            }
        }
        #expect(index.count == reference.count)
        for (key, value) in reference { #expect(index[key] == value) }
        #expect(Set(index.keys { _ in true }) == Set(reference.keys))
        #expect(Set(index.keys { $0 % 2 == 0 }) == Set(reference.filter { $0.value % 2 == 0 }.keys))
    }

    @Test("grows past many thousands of keys and empties completely")
    func growAndEmpty() {
        var index = PendingIndex<Int>(filler: -1)
        for value in 0..<100_000 { index["id-\(value)"] = value }
        #expect(index.count == 100_000)
        for value in stride(from: 0, to: 100_000, by: 3) { index["id-\(value)"] = nil }
        for value in 0..<100_000 { #expect(index["id-\(value)"] == (value % 3 == 0 ? nil : value)) }
        for value in 0..<100_000 { index.removeValue(forKey: "id-\(value)") }
        #expect(index.isEmpty)
    }
}

/// SplitMix64, so that the random run is the same every time.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
