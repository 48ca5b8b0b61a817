import Testing

@testable import HeraldJournal

/// The retention decision alone: letters (name, bytes, time) and a clock in, removals out.
@Suite("DeadLetterRetention")
struct DeadLetterRetentionTests {
    typealias Letter = DeadLetterRetention.Letter

    struct Scenario: CustomTestStringConvertible, Sendable {
        var name: String
        var maxBytes: Int64
        var maxAge: Duration
        /// (name, bytes, deadAt)
        var letters: [(String, Int64, Int64)]
        var now: Int64
        /// Expected removals in order, with their reasons.
        var removed: [(String, DeadLetterRetention.Reason)]
        var keptBytes: Int64
        var oldestKept: Int64?

        var testDescription: String { name }
    }

    static let day: Int64 = 86_400_000

    static let scenarios: [Scenario] = [
        Scenario(name: "no letters: nothing to do", maxBytes: 4096, maxAge: .seconds(60), letters: [], now: 0,
                 removed: [], keptBytes: 0, oldestKept: nil),
        Scenario(name: "under the cap and young: all kept", maxBytes: 16 << 10, maxAge: .seconds(86_400),
                 letters: [("a", 4096, 1_000), ("b", 4096, 2_000)], now: 3_000,
                 removed: [], keptBytes: 8192, oldestKept: 1_000),
        Scenario(name: "exactly at the cap: kept (only more than max_bytes is over)", maxBytes: 8192, maxAge: .seconds(86_400),
                 letters: [("a", 4096, 1_000), ("b", 4096, 2_000)], now: 3_000,
                 removed: [], keptBytes: 8192, oldestKept: 1_000),
        Scenario(name: "over the cap: the oldest go first, down to 15/16 of it", maxBytes: 16 << 10, maxAge: .seconds(86_400),
                 letters: [("c", 4096, 3_000), ("a", 4096, 1_000), ("e", 4096, 5_000), ("b", 4096, 2_000), ("d", 4096, 4_000)],
                 now: 6_000, removed: [("a", .maxBytes), ("b", .maxBytes)], keptBytes: 12_288, oldestKept: 3_000),
        Scenario(name: "same time: ties go by name", maxBytes: 8192, maxAge: .seconds(86_400),
                 letters: [("z", 4096, 1_000), ("m", 4096, 1_000), ("a", 4096, 1_000)], now: 2_000,
                 removed: [("a", .maxBytes), ("m", .maxBytes)], keptBytes: 4096, oldestKept: 1_000),
        Scenario(name: "one letter larger than the cap is removed too", maxBytes: 8192, maxAge: .seconds(86_400),
                 letters: [("big", 65_536, 1_000)], now: 2_000,
                 removed: [("big", .maxBytes)], keptBytes: 0, oldestKept: nil),
        Scenario(name: "exactly max_age old: kept; one millisecond older: removed", maxBytes: 1 << 30, maxAge: .seconds(86_400),
                 letters: [("edge", 4096, 10 * day - day), ("old", 4096, 10 * day - day - 1), ("new", 4096, 10 * day)],
                 now: 10 * day, removed: [("old", .maxAge)], keptBytes: 8192, oldestKept: 9 * day),
        Scenario(name: "age first: expired letters count toward the space freed", maxBytes: 8192, maxAge: .seconds(86_400),
                 letters: [("old1", 4096, 0), ("old2", 4096, 1), ("a", 4096, 5 * day), ("b", 4096, 5 * day + 1)],
                 now: 5 * day + 2, removed: [("old1", .maxAge), ("old2", .maxAge)], keptBytes: 8192, oldestKept: 5 * day),
        Scenario(name: "age and size together: expired, then the oldest of the rest", maxBytes: 8192, maxAge: .seconds(86_400),
                 letters: [("old", 4096, 0), ("a", 4096, 5 * day), ("b", 4096, 5 * day + 1), ("c", 4096, 5 * day + 2)],
                 now: 5 * day + 3, removed: [("old", .maxAge), ("a", .maxBytes), ("b", .maxBytes)], keptBytes: 4096,
                 oldestKept: 5 * day + 2),
        Scenario(name: "a clock behind the letters removes nothing for age", maxBytes: 1 << 20, maxAge: .seconds(1),
                 letters: [("future", 4096, 10_000)], now: 0, removed: [], keptBytes: 4096, oldestKept: 10_000),
    ]

    @Test("removals by age and by size, oldest first", arguments: scenarios)
    func decide(_ scenario: Scenario) {
        let retention = DeadLetterRetention(maxBytes: scenario.maxBytes, maxAge: scenario.maxAge)
        let decision = retention.decide(scenario.letters.map { Letter(name: $0.0, bytes: $0.1, deadAt: $0.2) }, now: scenario.now)
        #expect(decision.remove.map(\.letter.name) == scenario.removed.map(\.0))
        #expect(decision.remove.map(\.reason) == scenario.removed.map(\.1))
        #expect(decision.keptBytes == scenario.keptBytes)
        #expect(decision.kept == scenario.letters.count - scenario.removed.count)
        #expect(decision.oldestKept == scenario.oldestKept)
        #expect(decision.keptBytes <= scenario.maxBytes)
    }

    @Test("a pass is needed only over the cap, past the age, never otherwise", arguments: [
        (Int64(8192), Int64?(1_000), Int64(2_000), false),
        (Int64(8193), Int64?(1_000), Int64(2_000), true),
        (Int64(0), Int64?(1_000), Int64(1_000 + 60_000), false),
        (Int64(0), Int64?(1_000), Int64(1_000 + 60_001), true),
        (Int64(0), Int64?.none, Int64(Int64.max / 2), false),
    ])
    func needsPass(bytes: Int64, oldest: Int64?, now: Int64, expected: Bool) {
        let retention = DeadLetterRetention(maxBytes: 8192, maxAge: .seconds(60))
        #expect(retention.needsPass(bytes: bytes, oldest: oldest, now: now) == expected)
    }

    @Test("the defaults are 256MiB and 30 days")
    func defaults() {
        let retention = DeadLetterRetention()
        #expect(retention.maxBytes == 256 << 20)
        #expect(retention.maxAgeMilliseconds == 30 * Self.day)
    }
}
