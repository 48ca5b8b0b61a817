import Foundation
import HeraldCore
import HeraldHTTP
import Testing

/// Kafka sources against librdkafka's mock cluster, through the built binary.
@Suite("Kafka consumer group source")
struct KafkaSourceTests {
    /// (id, key, seq) of an event body the mock produced.
    static func fields(_ body: [UInt8]) -> (id: String, key: String, seq: Int)? {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any],
            let id = object["id"] as? String, let key = object["key"] as? String, let seq = object["seq"] as? Int
        else { return nil }
        return (id, key, seq)
    }

    static func config(_ cluster: KafkaMockCluster, group: String, url: String, journal: String = "1GiB", session: Int = 6000) -> String {
        """
        version: 1
        state_dir: ./state
        shutdown_grace: 3s
        journal: { max_bytes: \(journal) }
        source: { \(cluster.source(group: group, session: session)) }
        endpoints:
          receiver:
            url: "\(url)"
            timeout: 10s
            concurrency: 16
            headers: { X-Key: "{{$key}}" }
            retry: { schedule: [100ms, 200ms, 300ms], max_age: 1h }
        routes:
          - { name: all, events: ["*"], to: receiver, where: { $source: default } }
        """
    }

    @Test("messages are delivered with their key as $key and in order per key; offsets are committed, so a restart reads only what is new")
    func deliversAndCommits() async throws {
        let cluster = try await KafkaMockCluster()
        defer { cluster.stop() }
        let receiver = try Receiver()
        defer { receiver.stop() }
        let harness = try SidecarHarness(config: Self.config(cluster, group: "shop", url: receiver.url))
        try await cluster.produce(from: 0, count: 300, keys: 10)
        try harness.start()
        #expect(await receiver.wait { $0.count >= 300 }, "\(harness.log)")
        harness.signal(SIGTERM)
        #expect(await harness.waitForExit() == 0)
        let first = receiver.requests.compactMap { Self.fields($0.body) }
        #expect(Set(first.map(\.id)) == Set((0..<300).map { "m-\($0)" }))
        for request in receiver.requests {
            #expect(request.headers.first(named: "x-key") == Self.fields(request.body)?.key)
        }
        let perKey = Dictionary(grouping: first, by: \.key).mapValues { $0.map(\.seq) }
        #expect(perKey.values.allSatisfy { $0 == $0.sorted() }, "each key's events arrive in the order they were produced")
        #expect(harness.log.contains("kafka partitions assigned"))

        try await cluster.produce(from: 300, count: 100, keys: 10)
        try harness.start()
        #expect(await receiver.wait { $0.count >= 400 })
        try await Task.sleep(for: .milliseconds(500))
        harness.signal(SIGTERM)
        #expect(await harness.waitForExit() == 0)
        let second = receiver.requests.dropFirst(300).compactMap { Self.fields($0.body)?.id }
        #expect(Set(second) == Set((300..<400).map { "m-\($0)" }), "only the new messages after the restart")
        #expect(second.count == 100)
    }

    @Test("the broker going down mid-run: Herald says so, waits, and goes on when it is back, losing nothing")
    func brokerDown() async throws {
        let cluster = try await KafkaMockCluster(brokers: 1)
        defer { cluster.stop() }
        let receiver = try Receiver()
        defer { receiver.stop() }
        let harness = try SidecarHarness(config: Self.config(cluster, group: "down", url: receiver.url))
        try await cluster.produce(from: 0, count: 200, keys: 5)
        try harness.start()
        #expect(await receiver.wait { $0.count >= 200 })
        try await cluster.command("down 1")
        #expect(await waitUntil(timeout: .seconds(60)) { harness.log.contains("kafka unavailable; waiting for it") }, "\(harness.log)")
        try await cluster.command("up 1")
        try await cluster.produce(from: 200, count: 200, keys: 5)
        #expect(await receiver.wait { $0.count >= 400 }, "\(harness.log)")
        #expect(harness.log.contains("kafka messages arriving again"))
        harness.signal(SIGTERM)
        #expect(await harness.waitForExit() == 0)
        let ids = receiver.requests.compactMap { Self.fields($0.body)?.id }
        #expect(Set(ids) == Set((0..<400).map { "m-\($0)" }))
        #expect(ids.count == 400, "none twice")
    }
}

/// Three Heralds in one consumer group, one of them killed with -9 and restarted every few seconds.
@Suite("Kafka fleet")
struct KafkaFleetTests {
    /// What the receiver saw, in the order it saw it.
    final class Arrivals: Sendable {
        let events = Locked<[(id: String, key: String, seq: Int)]>([])
        let server: HTTPServer

        init() throws {
            let events = events
            server = try HTTPServer(host: "127.0.0.1", port: 0) { request in
                if let event = KafkaSourceTests.fields(request.body) { events.withLock { $0.append(event) } }
                return ServerResponse(status: 204)
            }
        }

        var url: String { "\(server.baseURL)/hooks" }
        var count: Int { events.withLock { $0.count } }
        var unique: Int { events.withLock { Set($0.map(\.id)).count } }

        /// Events that arrived for the first time after a later event of their key had arrived.
        var outOfOrder: [String] {
            var newest: [String: Int] = [:]
            var seen = Set<String>()
            var late: [String] = []
            for event in events.withLock({ $0 }) where seen.insert(event.id).inserted {
                if let last = newest[event.key], event.seq < last { late.append("\(event.id) after seq \(last)") }
                newest[event.key] = max(newest[event.key] ?? event.seq, event.seq)
            }
            return late
        }
    }

    @Test("3 Heralds, 3 partitions, 100,000 messages, one killed with -9 every few seconds: every message delivered, per-key order exact")
    func killOneAtATime() async throws {
        let total = 100_000
        let cluster = try await KafkaMockCluster(partitions: 3)
        defer { cluster.stop() }
        let arrivals = try Arrivals()
        defer { arrivals.server.stop() }
        // A small journal keeps reading close to delivering, so that partitions move mid-stream.
        let config = KafkaSourceTests.config(cluster, group: "fleet", url: arrivals.url, journal: "1MiB", session: 3000)
        let fleet = try (0..<3).map { _ in try SidecarHarness(config: config) }
        try await cluster.produce(from: 0, count: total, keys: 500)
        for herald in fleet { try herald.start() }
        let started = ContinuousClock.now
        var kills = 0
        // Each kill costs the group a rebalance (the dead member is dropped after its 3 s session
        // timeout): eight, a few seconds apart, then the fleet finishes.
        while arrivals.unique < total, kills < 8 {
            try await Task.sleep(for: .seconds(4))
            guard arrivals.unique < total else { break }
            let victim = fleet[kills % fleet.count]
            victim.signal(SIGKILL)
            _ = await victim.waitForExit()
            try victim.start()
            kills += 1
        }
        #expect(await waitUntil(timeout: .seconds(120)) { arrivals.unique >= total }, "\(arrivals.unique) of \(total) after \(kills) kills")
        for herald in fleet { herald.signal(SIGTERM) }
        for herald in fleet { #expect(await herald.waitForExit() == 0) }
        let duplicates = arrivals.count - arrivals.unique
        print("kafka fleet: \(total) messages, \(kills) kills, \(duplicates) duplicates, \(ContinuousClock.now - started)")
        #expect(arrivals.unique == total)
        #expect(kills >= 2, "the run was long enough to kill a few")
        #expect(arrivals.outOfOrder.isEmpty, "\(arrivals.outOfOrder.prefix(5))")
        // A kill leaves at most the batches journaled and not yet committed (1,024 messages each) to
        // be read again by the next owner, and the requests in flight to be sent again by the restart.
        #expect(duplicates <= kills * 2 * 1024, "duplicates only from what was in flight: \(duplicates) after \(kills) kills")
    }
}
