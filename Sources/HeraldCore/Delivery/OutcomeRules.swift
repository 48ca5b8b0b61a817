/// An endpoint's own reading of status codes (`success_on`, `retry_on`, `dead_on`): a code one
/// of them names is delivered, retried on the schedule or dead-lettered at once; every other code
/// keeps the default reading (2xx delivered; 3xx, 408, 429, 5xx retried; 410 retires the
/// endpoint; other 4xx dead). Receivers differ: one answers 409 to a duplicate it already has,
/// another 404 until a record it depends on exists.
public struct OutcomeRules: Sendable, Equatable {
    public enum Outcome: String, Sendable, Equatable, CaseIterable {
        case success = "success_on"
        case retry = "retry_on"
        case dead = "dead_on"
    }

    public struct Rule: Sendable, Equatable {
        public var codes: ClosedRange<Int>
        public var outcome: Outcome

        public init(codes: ClosedRange<Int>, outcome: Outcome) {
            self.codes = codes
            self.outcome = outcome
        }
    }

    /// No two rules share a code (the config decoder refuses overlaps).
    public var rules: [Rule]

    public init(_ rules: [Rule] = []) { self.rules = rules }

    /// The outcome the endpoint configured for `code`, or nil for the default reading.
    public func outcome(for code: Int) -> Outcome? {
        rules.first { $0.codes.contains(code) }?.outcome
    }

    /// The codes HTTP defines: what a rule may name.
    public static let validCodes = 100...599
}
