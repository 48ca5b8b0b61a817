/// Lets one report of a kind through per `interval` and counts the ones held back, so that a
/// broker down for an hour logs a line a minute, not one per reconnect attempt. Pure: the caller
/// passes the time.
struct RepeatLimiter: Sendable {
    let interval: Duration
    private var last: [String: (at: Duration, held: Int)] = [:]

    init(interval: Duration) {
        self.interval = interval
    }

    /// nil: hold this one back. Otherwise report it, with how many of its kind were held back since
    /// the last one reported.
    mutating func admit(_ kind: String, at now: Duration) -> Int? {
        if let previous = last[kind], now - previous.at < interval {
            last[kind]?.held += 1
            return nil
        }
        let held = last[kind]?.held ?? 0
        last[kind] = (now, 0)
        return held
    }
}
