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
    /// Random per index, so that ids chosen to collide cannot be prepared in advance.
    private let seed = UInt64.random(in: 1...UInt64.max)

    var isEmpty: Bool { count == 0 }

    private func home(of key: String, in capacity: Int) -> Int {
        // Multiply-shift spreads the hash over any capacity, power of two or not.
        let hash = Self.hash(key, seed: seed)
        return Int((hash.multipliedFullWidth(by: UInt64(capacity))).high)
    }

    /// A fast seeded hash of the key's UTF-8 bytes, eight at a time. Not `hashValue`: SipHash
    /// through `Hasher` cost more than the rest of a lookup, and a delivery's ids are looked up
    /// several times on its way through the journal.
    static func hash(_ key: String, seed: UInt64) -> UInt64 {
        var key = key
        return key.withUTF8 { bytes in
            var hash = seed ^ (UInt64(bytes.count) &* 0x9E37_79B9_7F4A_7C15)
            var index = 0
            while index + 8 <= bytes.count {
                let word = UnsafeRawPointer(bytes.baseAddress! + index).loadUnaligned(as: UInt64.self)
                hash = mix(hash ^ word)
                index += 8
            }
            if index < bytes.count {
                var tail: UInt64 = 0
                for (shift, byte) in bytes[index...].enumerated() { tail |= UInt64(byte) << (8 * UInt64(shift)) }
                hash = mix(hash ^ tail)
            }
            return mix(hash)
        }
    }

    private static func mix(_ value: UInt64) -> UInt64 {
        var z = value &* 0xBF58_476D_1CE4_E5B9
        z ^= z >> 31
        z = z &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 29)
    }

    /// The slot holding `key`, or nil.
    private func find(_ key: String) -> Int? {
        let (index, found) = probe(key)
        return found ? index : nil
    }

    subscript(key: String) -> Value? {
        get { find(key).map { slots[$0]!.value } }
        set {
            guard let newValue else {
                removeValue(forKey: key)
                return
            }
            growIfFull()
            let (index, found) = probe(key)
            slots[index] = Slot(key: key, value: newValue)
            if !found { count += 1 }
        }
    }

    private static var maxLoadPercent: Int { 75 }

    /// Grows before an insertion would take the table past its load limit.
    private mutating func growIfFull() {
        if (count + 1) * 100 > slots.count * Self.maxLoadPercent { grow() }
    }

    /// The slot holding `key`, or else the empty slot where it would go: one walk of the probe
    /// sequence, one hash.
    private func probe(_ key: String) -> (index: Int, found: Bool) {
        let capacity = slots.count
        var index = home(of: key, in: capacity)
        while let slot = slots[index] {
            if slot.key == key { return (index, true) }
            index = index + 1 == capacity ? 0 : index + 1
        }
        return (index, false)
    }

    /// Stores `value` for `key` unless the key is there already (then returns false and changes
    /// nothing).
    mutating func insertIfAbsent(_ key: String, _ value: Value) -> Bool {
        growIfFull()
        let (index, found) = probe(key)
        guard !found else { return false }
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
