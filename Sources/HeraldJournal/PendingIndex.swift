/// The journal's index of pending deliveries: 64 open-addressing hash tables (linear probing,
/// backward-shift deletion), each growing by half when 75% full; an id's hash picks its table.
///
/// A Swift `Dictionary` keeps between 37% and 75% of its slots in use and doubles all at once,
/// old and new tables alive together; with a million pending deliveries that slack, and the
/// moment of growth, were the largest uses of memory (a single table of 1.6 M slots briefly
/// lived beside its 1.1 M-slot predecessor: 129 MB). In 64 tables a growth copies one of them,
/// and keys and values sit in two arrays, so a slot is 40 bytes, not 48 (an optional pair pads).
/// (At 85% load a lookup of an id that is not there walked 20 slots on average, and recovering
/// a million deliveries spent a quarter of its time there.)
struct PendingIndex<Value> {
    private struct Table {
        var keys: [String?]
        /// `filler` where the key is nil, so that an empty slot needs no optional's tag byte.
        var values: [Value]
        var count = 0

        init(capacity: Int, filler: Value) {
            keys = Array(repeating: nil, count: capacity)
            values = Array(repeating: filler, count: capacity)
        }

        var capacity: Int { keys.count }
    }

    private static var tableCount: Int { 64 }
    private var tables: [Table]
    private let filler: Value
    private(set) var count = 0
    /// Random per index, so that ids chosen to collide cannot be prepared in advance.
    private let seed = UInt64.random(in: 1...UInt64.max)

    /// `filler` is what an empty slot holds (any value: it is never returned).
    init(filler: Value) {
        self.filler = filler
        tables = Array(repeating: Table(capacity: 8, filler: filler), count: Self.tableCount)
    }

    var isEmpty: Bool { count == 0 }

    /// The table is chosen by the hash's low bits, the slot within it by its high bits.
    private static func table(of hash: UInt64) -> Int { Int(hash & UInt64(tableCount - 1)) }

    private static func home(of hash: UInt64, in capacity: Int) -> Int {
        // Multiply-shift spreads the hash over any capacity, power of two or not.
        Int((hash.multipliedFullWidth(by: UInt64(capacity))).high)
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


    /// The table and slot holding `key`, or else the empty slot where it would go: one hash, one
    /// walk of the probe sequence.
    private func probe(_ key: String) -> (table: Int, index: Int, found: Bool) {
        let hash = Self.hash(key, seed: seed)
        let number = Self.table(of: hash)
        let keys = tables[number].keys
        let capacity = keys.count
        var index = Self.home(of: hash, in: capacity)
        while let slotKey = keys[index] {
            if slotKey == key { return (number, index, true) }
            index = index + 1 == capacity ? 0 : index + 1
        }
        return (number, index, false)
    }

    subscript(key: String) -> Value? {
        get {
            let (table, index, found) = probe(key)
            return found ? tables[table].values[index] : nil
        }
        set {
            guard let newValue else {
                removeValue(forKey: key)
                return
            }
            store(key, newValue, replacing: true)
        }
    }

    /// Stores `value` for `key` unless the key is there already (then returns false and changes
    /// nothing).
    mutating func insertIfAbsent(_ key: String, _ value: Value) -> Bool {
        store(key, value, replacing: false)
    }

    /// Returns whether `key` was new.
    @discardableResult
    private mutating func store(_ key: String, _ value: Value, replacing: Bool) -> Bool {
        var (table, index, found) = probe(key)
        if found {
            if replacing { tables[table].values[index] = value }
            return false
        }
        if (tables[table].count + 1) * 100 > tables[table].capacity * Self.maxLoadPercent {
            grow(table)
            (table, index, found) = probe(key)
        }
        tables[table].keys[index] = key
        tables[table].values[index] = value
        tables[table].count += 1
        count += 1
        return true
    }

    private static var maxLoadPercent: Int { 75 }

    /// Changes the value stored for `key` in place, if there is one (one lookup, not three).
    mutating func update(_ key: String, _ body: (inout Value) -> Void) {
        let (table, index, found) = probe(key)
        guard found else { return }
        body(&tables[table].values[index])
    }

    private mutating func grow(_ number: Int) {
        let old = tables[number]
        var table = Table(capacity: old.capacity + old.capacity / 2, filler: filler)
        tables[number] = Table(capacity: 0, filler: filler)  // frees the old arrays' second reference
        for (slot, key) in old.keys.enumerated() {
            guard let key else { continue }
            var index = Self.home(of: Self.hash(key, seed: seed), in: table.capacity)
            while table.keys[index] != nil { index = index + 1 == table.capacity ? 0 : index + 1 }
            table.keys[index] = key
            table.values[index] = old.values[slot]
        }
        table.count = old.count
        tables[number] = table
    }

    @discardableResult
    mutating func removeValue(forKey key: String) -> Value? {
        let (number, found, isThere) = probe(key)
        guard isThere else { return nil }
        var hole = found
        let value = tables[number].values[hole]
        tables[number].keys[hole] = nil
        tables[number].values[hole] = filler
        tables[number].count -= 1
        count -= 1
        // Backward-shift: move later members of the probe run into the hole so that lookups,
        // which stop at the first empty slot, still find them.
        let capacity = tables[number].capacity
        var index = hole
        while true {
            index = index + 1 == capacity ? 0 : index + 1
            guard let slotKey = tables[number].keys[index] else { break }
            let home = Self.home(of: Self.hash(slotKey, seed: seed), in: capacity)
            // The slot may move to the hole if its home is not in (hole, index] cyclically.
            let between = hole <= index ? (home > hole && home <= index) : (home > hole || home <= index)
            if !between {
                tables[number].keys.swapAt(hole, index)
                tables[number].values.swapAt(hole, index)
                hole = index
            }
        }
        return value
    }

    /// Every key whose value satisfies `predicate` (a full scan: for rare maintenance work).
    func keys(where predicate: (Value) -> Bool) -> [String] {
        var keys: [String] = []
        for table in tables {
            for (slot, key) in table.keys.enumerated() {
                if let key, predicate(table.values[slot]) { keys.append(key) }
            }
        }
        return keys
    }
}
