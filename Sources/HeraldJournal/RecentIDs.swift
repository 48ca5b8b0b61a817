/// The last `capacity` ids seen, in a ring with a set beside it: membership in O(1), memory
/// bounded, the oldest forgotten first. How ingest recognises an event a client sent again.
public struct RecentIDs: Sendable {
    public let capacity: Int
    private var ring: [String] = []
    private var next = 0
    private var members: Set<String> = []

    public init(capacity: Int) {
        self.capacity = max(0, capacity)
    }

    public var count: Int { members.count }

    public func contains(_ id: String) -> Bool { members.contains(id) }

    /// Remembers `id` (moving nothing if it is already known), forgetting the oldest when full.
    /// Returns false when it was known.
    @discardableResult
    public mutating func insert(_ id: String) -> Bool {
        guard capacity > 0, !members.contains(id) else { return false }
        if ring.count < capacity {
            ring.append(id)
        } else {
            members.remove(ring[next])
            ring[next] = id
            next = (next + 1) % capacity
        }
        members.insert(id)
        return true
    }
}
