/// How long and how much the dead letters may keep: letters older than `maxAge` are removed,
/// and past `maxBytes` the oldest go first. A pure decision over what a scan of the directory
/// found, so that every rule is tested without files or a clock.
public struct DeadLetterRetention: Sendable, Equatable {
    /// Disk space the letters may take (their allocated blocks, so a 300-byte letter counts as 4 KiB
    /// on most file systems).
    public var maxBytes: Int64
    /// Age past which a letter is removed, in milliseconds.
    public var maxAgeMilliseconds: Int64

    public static let defaultMaxBytes: Int64 = 256 << 20
    public static let defaultMaxAge: Duration = .seconds(30 * 86_400)

    public init(maxBytes: Int64 = Self.defaultMaxBytes, maxAge: Duration = Self.defaultMaxAge) {
        self.maxBytes = maxBytes
        let (seconds, attoseconds) = maxAge.components
        maxAgeMilliseconds = seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }

    /// What a pass over the directory removed, kept and could not do; one log line and the metric
    /// `herald_dead_letters_removed_total{reason}` come from it.
    public struct Pass: Sendable, Equatable {
        public var removedForBytes: Int
        public var removedForAge: Int
        public var bytesRemoved: Int64
        public var kept: Int
        public var keptBytes: Int64
        /// Why the pass stopped short (a failed scan or unlink); what was not removed is still counted as kept.
        public var failure: String?

        public var removed: Int { removedForBytes + removedForAge }

        public init(removedForBytes: Int = 0, removedForAge: Int = 0, bytesRemoved: Int64 = 0, kept: Int = 0, keptBytes: Int64 = 0,
                    failure: String? = nil) {
            self.removedForBytes = removedForBytes
            self.removedForAge = removedForAge
            self.bytesRemoved = bytesRemoved
            self.kept = kept
            self.keptBytes = keptBytes
            self.failure = failure
        }
    }

    /// Why a letter is removed; the value of the metric's `reason` label.
    public enum Reason: String, Sendable, CaseIterable {
        case maxBytes = "max_bytes"
        case maxAge = "max_age"
    }

    /// One letter as a scan found it.
    public struct Letter: Sendable, Equatable {
        public var name: String
        public var bytes: Int64
        /// Unix milliseconds when it was dead-lettered.
        public var deadAt: Int64

        public init(name: String, bytes: Int64, deadAt: Int64) {
            self.name = name
            self.bytes = bytes
            self.deadAt = deadAt
        }
    }

    public struct Decision: Sendable, Equatable {
        /// Oldest first.
        public var remove: [(letter: Letter, reason: Reason)]
        public var kept: Int
        public var keptBytes: Int64
        /// The oldest kept letter's time, nil when none is kept.
        public var oldestKept: Int64?

        public static func == (a: Decision, b: Decision) -> Bool {
            a.remove.map(\.letter) == b.remove.map(\.letter) && a.remove.map(\.reason) == b.remove.map(\.reason)
                && a.kept == b.kept && a.keptBytes == b.keptBytes && a.oldestKept == b.oldestKept
        }
    }

    /// Past `maxBytes`, letters are removed down to this (15/16 of it), so that a steady stream of
    /// new letters at the cap rescans the directory once per 1/16 of the cap, not once per batch.
    public var lowWaterBytes: Int64 { maxBytes - maxBytes / 16 }

    /// Whether a pass would have work, from the running totals alone (no scan).
    public func needsPass(bytes: Int64, oldest: Int64?, now: Int64) -> Bool {
        bytes > maxBytes || oldest.map { now - $0 > maxAgeMilliseconds } == true
    }

    /// Letters older than `maxAge` (strictly) go; then, if the rest take more than `maxBytes`, the
    /// oldest of them (ties by name) go until the rest take at most ``lowWaterBytes``.
    public func decide(_ letters: [Letter], now: Int64) -> Decision {
        let ordered = letters.sorted { ($0.deadAt, $0.name) < ($1.deadAt, $1.name) }
        var remove: [(letter: Letter, reason: Reason)] = []
        var live: ArraySlice<Letter> = []
        for letter in ordered {
            if now - letter.deadAt > maxAgeMilliseconds {
                remove.append((letter, .maxAge))
            } else {
                live.append(letter)
            }
        }
        var bytes = live.reduce(Int64(0)) { $0 + $1.bytes }
        if bytes > maxBytes {
            while let oldest = live.first, bytes > lowWaterBytes {
                remove.append((oldest, .maxBytes))
                bytes -= oldest.bytes
                live.removeFirst()
            }
        }
        return Decision(remove: remove, kept: live.count, keptBytes: bytes, oldestKept: live.first?.deadAt)
    }
}
