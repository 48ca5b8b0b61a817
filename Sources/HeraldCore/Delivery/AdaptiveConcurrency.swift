/// An endpoint's concurrency limit when it is adaptive (`concurrency: { max: 64, adaptive: true }`):
/// additive increase, multiplicative decrease, as Vector's adaptive request concurrency and TCP
/// do. The limit starts at 1; while the endpoint keeps every allowed request busy and answers
/// well it rises by one per limit's worth of answers (about one per round trip); a 429, a 503, a
/// timeout, or a round trip grown to twice its long-run mean cuts it to nine tenths, at most once
/// per round trip, so that the burst of failures one overload causes counts once. Pure: time and
/// outcomes are inputs.
struct AdaptiveConcurrency: Equatable {
    /// What one finished attempt says about the endpoint's load.
    enum Signal: Equatable {
        /// An answer that is not backpressure, after `rtt` ms.
        case answered(rtt: Int64)
        /// 429, 503 or a timeout.
        case backpressure
        /// Says nothing about load (connection refused, a request never sent).
        case neutral
    }

    let maximum: Int
    private(set) var limit = 1
    /// Saturated good answers since the limit last rose.
    private var credit = 0
    /// Exponentially weighted means of answered round trips, ms: a fast one (the last few) and a
    /// slow one (the baseline the fast one is compared with).
    private var recent: Double?
    private var baseline: Double?
    private var answers = 0
    /// No decrease before this time (Unix ms): one round trip after the last one.
    private var holdUntil: Int64 = 0

    static let decreaseRatio = 0.9
    /// Round trips this many times the baseline count as backpressure.
    static let latencyFactor = 2.0
    /// Answers seen before latency is judged at all.
    static let warmup = 20

    init(maximum: Int) {
        self.maximum = max(1, maximum)
    }

    /// Takes one outcome; `saturated` says whether the endpoint had `limit` requests in flight when
    /// it came (only a limit that is reached is evidence that it should grow). Returns whether the
    /// limit changed.
    mutating func observe(_ signal: Signal, saturated: Bool, now: Int64) -> Bool {
        let before = limit
        switch signal {
        case .neutral:
            break
        case .backpressure:
            decrease(now: now)
        case .answered(let rtt):
            let sample = Double(max(0, rtt))
            recent = recent.map { $0 * 0.7 + sample * 0.3 } ?? sample
            baseline = baseline.map { $0 * 0.98 + sample * 0.02 } ?? sample
            answers += 1
            if answers >= Self.warmup, let recent, let baseline, recent > Self.latencyFactor * max(baseline, 1) {
                decrease(now: now)
            } else if saturated, limit < maximum {
                credit += 1
                if credit >= limit {
                    credit = 0
                    limit += 1
                }
            }
        }
        return limit != before
    }

    private mutating func decrease(now: Int64) {
        guard now >= holdUntil else { return }
        limit = max(1, Int((Double(limit) * Self.decreaseRatio).rounded(.down)))
        credit = 0
        holdUntil = now + max(1, Int64((recent ?? 1).rounded(.up)))
    }
}
