/// The journal's index of pending deliveries: an open-addressing hash table (linear probing,
/// backward-shift deletion) that grows by half when 75% full.
///
/// A Swift `Dictionary` keeps between 37% and 75% of its slots in use and doubles all at once,
/// old and new tables alive together; with hundreds of thousands of pending deliveries that
/// slack was the largest single use of memory. This table keeps 50–75% in use and grows in
/// smaller steps. (At 85% a lookup of an id that is not there walked 20 slots on average, and
/// recovering a million deliveries spent a quarter of its time there.)
struct PendingIndex<Value> {
    private struct Slot {
        var key: String
        var value: Value
    }

    private var slots: [Slot?] = Array(repeating: nil, count: 64)
    private(set) var count = 0

    var isEmpty: Bool { count == 0 }

    private func home(of key: String, in capacity: Int) -> Int {
        // Multiply-shift spreads the hash over any capacity, power of two or not.
        let hash = UInt64(bitPattern: Int64(key.hashValue))
        return Int((hash.multipliedFullWidth(by: UInt64(capacity))).high)
    }

    /// The slot holding `key`, or nil.
    private func find(_ key: String) -> Int? {
        let capacity = slots.count
        var index = home(of: key, in: capacity)
        while let slot = slots[index] {
            if slot.key == key { return index }
            index = index + 1 == capacity ? 0 : index + 1
        }
        return nil
    }

    subscript(key: String) -> Value? {
        get { find(key).map { slots[$0]!.value } }
        set {
            guard let newValue else {
                removeValue(forKey: key)
                return
            }
            if let index = find(key) {
                slots[index]!.value = newValue
                return
            }
            if (count + 1) * 100 > slots.count * Self.maxLoadPercent { grow() }
            insertNew(Slot(key: key, value: newValue))
            count += 1
        }
    }

    private static var maxLoadPercent: Int { 75 }

    /// Stores `value` for `key` unless the key is there already (then returns false and changes
    /// nothing): one walk of the probe sequence instead of a lookup followed by an insertion.
    mutating func insertIfAbsent(_ key: String, _ value: Value) -> Bool {
        if (count + 1) * 100 > slots.count * Self.maxLoadPercent { grow() }
        let capacity = slots.count
        var index = home(of: key, in: capacity)
        while let slot = slots[index] {
            if slot.key == key { return false }
            index = index + 1 == capacity ? 0 : index + 1
        }
        slots[index] = Slot(key: key, value: value)
        count += 1
        return true
    }

    /// Changes the value stored for `key` in place, if there is one (one lookup, not three).
    mutating func update(_ key: String, _ body: (inout Value) -> Void) {
        guard let index = find(key) else { return }
        body(&slots[index]!.value)
    }

    private mutating func insertNew(_ slot: Slot) {
        let capacity = slots.count
        var index = home(of: slot.key, in: capacity)
        while slots[index] != nil { index = index + 1 == capacity ? 0 : index + 1 }
        slots[index] = slot
    }

    private mutating func grow() {
        let old = slots
        slots = Array(repeating: nil, count: old.count + old.count / 2)
        for case let slot? in old { insertNew(slot) }
    }

    @discardableResult
    mutating func removeValue(forKey key: String) -> Value? {
        guard var hole = find(key) else { return nil }
        let value = slots[hole]!.value
        slots[hole] = nil
        count -= 1
        // Backward-shift: move later members of the probe run into the hole so that lookups,
        // which stop at the first empty slot, still find them.
        let capacity = slots.count
        var index = hole
        while true {
            index = index + 1 == capacity ? 0 : index + 1
            guard let slot = slots[index] else { break }
            let home = home(of: slot.key, in: capacity)
            // The slot may move to the hole if its home is not in (hole, index] cyclically.
            let between = hole <= index ? (home > hole && home <= index) : (home > hole || home <= index)
            if !between {
                slots[hole] = slot
                slots[index] = nil
                hole = index
            }
        }
        return value
    }

    /// Every key whose value satisfies `predicate` (a full scan: for rare maintenance work).
    func keys(where predicate: (Value) -> Bool) -> [String] {
        slots.compactMap { slot in slot.flatMap { predicate($0.value) ? $0.key : nil } }
    }
}
