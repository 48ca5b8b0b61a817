/// Parses config durations: `500ms`, `10s`, `5m`, `2h`, `3d`, and sums like `1h30m`.
public enum ConfigDuration {
    /// The longest duration a config may give: 100 years, so that every duration still fits in
    /// signed 64-bit nanoseconds, whatever a later stage converts it to.
    public static let maximum = Duration.seconds(36_500 * 86_400)

    /// Why a duration's text was refused.
    public enum Problem: Error, Equatable {
        case malformed
        case tooLong
    }

    public static func parse(_ text: String) -> Duration? {
        try? check(text).get()
    }

    /// Like ``parse(_:)``, telling a duration past ``maximum`` from one that is no duration.
    public static func check(_ text: String) -> Result<Duration, Problem> {
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty else { return .failure(.malformed) }
        var total = Duration.zero
        var index = 0
        while index < bytes.count {
            var value: Int64 = 0
            let digitsStart = index
            while index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 {
                let (product, overflow) = value.multipliedReportingOverflow(by: 10)
                guard !overflow else { return .failure(.tooLong) }
                value = product + Int64(bytes[index] - 0x30)
                index += 1
            }
            guard index > digitsStart else { return .failure(.malformed) }
            let unitStart = index
            while index < bytes.count, bytes[index] >= 0x61, bytes[index] <= 0x7A { index += 1 }
            let unit = String(decoding: bytes[unitStart..<index], as: UTF8.self)
            // Past the maximum in any unit: refused before a Duration is built from it.
            guard value <= 36_500 * 86_400 * 1000 else { return .failure(.tooLong) }
            let part: Duration
            switch unit {
            case "ms": part = .milliseconds(value)
            case "s": part = .seconds(value)
            case "m": part = .seconds(value) * 60
            case "h": part = .seconds(value) * 3600
            case "d": part = .seconds(value) * 86_400
            default: return .failure(.malformed)
            }
            // Past the maximum, a part alone or the sum so far stops the parse: no later part
            // can bring it back, and stopping keeps every step far from overflow.
            guard part <= maximum else { return .failure(.tooLong) }
            total += part
            guard total <= maximum else { return .failure(.tooLong) }
        }
        return .success(total)
    }

    /// The config spelling of a duration, for messages and logs: exact for round values
    /// (`5m`, `3d`), otherwise to the nearest useful unit (`1.2s`, `59m37s`, `2h5m`).
    public static func format(_ duration: Duration) -> String {
        let ms = duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
        if ms % 86_400_000 == 0, ms > 0 { return "\(ms / 86_400_000)d" }
        if ms % 3_600_000 == 0, ms > 0 { return "\(ms / 3_600_000)h" }
        if ms % 60_000 == 0, ms > 0 { return "\(ms / 60_000)m" }
        if ms % 1000 == 0 { return "\(ms / 1000)s" }
        if ms < 1000 { return "\(ms)ms" }
        if ms < 60_000 { return "\(ms / 1000).\(ms % 1000 / 100)s" }
        if ms < 3_600_000 { return "\(ms / 60_000)m\(ms % 60_000 / 1000)s" }
        return "\(ms / 3_600_000)h\(ms % 3_600_000 / 60_000)m"
    }
}
