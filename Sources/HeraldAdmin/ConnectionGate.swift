import Synchronization

/// Counts the admin listener's open connections across NIO's event loops, so that one past the
/// cap is answered `503` instead of being served.
final class ConnectionGate: Sendable {
    private let open = Atomic<Int>(0)
    private let refusedCount = Atomic<Int>(0)
    let limit: Int

    init(limit: Int) {
        self.limit = max(1, limit)
    }

    /// Takes a place, or counts a refusal and returns false when all are taken.
    func admit() -> Bool {
        if open.add(1, ordering: .relaxed).newValue <= limit { return true }
        open.subtract(1, ordering: .relaxed)
        refusedCount.add(1, ordering: .relaxed)
        return false
    }

    func release() {
        open.subtract(1, ordering: .relaxed)
    }

    var openConnections: Int { open.load(ordering: .relaxed) }
    var refused: Int { refusedCount.load(ordering: .relaxed) }
}
