#if canImport(Glibc)
import Glibc
#endif
import HeraldKafka
import Synchronization

/// The deliveries a Kafka source journaled and that are not settled yet, per partition. Before a
/// partition goes to another member of the group, its deliveries are let out first (up to a
/// bound): the next owner starts at the committed offset, and would otherwise send a key's newer
/// events while this Herald still holds its older ones.
///
/// Deliveries recovered at start-up came from partitions that may have moved on while Herald was
/// down; their partition is not known, so they hold back joining the group and every revoke.
final class KafkaBacklog: Sendable {
    private struct State {
        var byPartition: [KafkaPartition: Int] = [:]
        var partitionOf: [String: KafkaPartition] = [:]
        var recovered: Set<String>
    }

    private let state: Mutex<State>

    init(recovered: some Sequence<String>) {
        state = Mutex(State(recovered: Set(recovered)))
    }

    /// Deliveries journaled, each with its partition (before the dispatcher has them).
    func journaled(_ deliveries: [(id: String, partition: KafkaPartition)]) {
        guard !deliveries.isEmpty else { return }
        state.withLock { state in
            for (id, partition) in deliveries where state.partitionOf.updateValue(partition, forKey: id) == nil {
                state.byPartition[partition, default: 0] += 1
            }
        }
    }

    /// The dispatcher settled these (any source's: others are ignored).
    func settled(_ ids: [String]) {
        state.withLock { state in
            for id in ids {
                if let partition = state.partitionOf.removeValue(forKey: id) {
                    state.byPartition[partition]! -= 1
                    if state.byPartition[partition] == 0 { state.byPartition[partition] = nil }
                } else if !state.recovered.isEmpty {
                    state.recovered.remove(id)
                }
            }
        }
    }

    /// Unsettled deliveries from `partitions` (all recovered ones count against every partition).
    func unsettled(in partitions: [KafkaPartition]) -> Int {
        state.withLock { state in partitions.reduce(state.recovered.count) { $0 + (state.byPartition[$1] ?? 0) } }
    }

    var unsettledRecovered: Int { state.withLock { $0.recovered.count } }

    /// Blocks the calling (poll) thread until `partitions` have nothing unsettled or `timeout`
    /// passes; returns what was still unsettled.
    func waitUntilSettled(_ partitions: [KafkaPartition], timeout: Duration) -> Int {
        let deadline = ContinuousClock.now + timeout
        while true {
            let left = unsettled(in: partitions)
            if left == 0 || ContinuousClock.now >= deadline { return left }
            usleep(20_000)
        }
    }
}

extension KafkaBacklog {
    /// Waits (without blocking a thread) until the recovered deliveries are settled or `timeout` passes.
    func waitForRecovered(timeout: Duration) async throws -> Int {
        let deadline = ContinuousClock.now + timeout
        while unsettledRecovered > 0, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
        return unsettledRecovered
    }
}
