/// A dictionary split into 64 shards by key hash. With hundreds of thousands of pending
/// deliveries, one Swift `Dictionary` doubles all at once when it grows (old and new tables
/// alive together) and may sit just past a power of two at half load; shards grow one at a
/// time and average out, roughly halving the index's peak memory.
struct ShardedIndex<Value> {
    private static var shardCount: Int { 64 }
    private var shards = [[String: Value]](repeating: [:], count: 64)
    private(set) var count = 0

    var isEmpty: Bool { count == 0 }

    private func shard(for key: String) -> Int { key.hashValue & (Self.shardCount - 1) }

    subscript(key: String) -> Value? {
        get { shards[shard(for: key)][key] }
        set {
            let index = shard(for: key)
            let old = shards[index].count
            shards[index][key] = newValue
            count += shards[index].count - old
        }
    }

    @discardableResult
    mutating func removeValue(forKey key: String) -> Value? {
        let index = shard(for: key)
        guard let value = shards[index].removeValue(forKey: key) else { return nil }
        count -= 1
        return value
    }

    /// Every key whose value satisfies `predicate` (a full scan: for rare maintenance work).
    func keys(where predicate: (Value) -> Bool) -> [String] {
        shards.flatMap { shard in shard.compactMap { predicate($0.value) ? $0.key : nil } }
    }
}
