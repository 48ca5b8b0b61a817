#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Parses a `Retry-After` header value (RFC 9110 §10.2.3) into a wait relative to a given instant.
public enum RetryAfter {
    /// The wait that `value` asks for, as seen now by the system's wall clock.
    public static func parse(_ value: String) -> Duration? {
        parse(value, now: unixNow())
    }

    /// The wall-clock time as a duration since the Unix epoch.
    public static func unixNow() -> Duration {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return .seconds(Int64(now.tv_sec)) + .nanoseconds(Int64(now.tv_nsec))
    }

    /// The wait that `value` asks for, as seen at `now`; `nil` when the value is not valid.
    ///
    /// - Parameters:
    ///   - value: delta-seconds (`120`) or an HTTP-date in IMF-fixdate, RFC 850 or asctime form.
    ///   - now: the current time as a duration since the Unix epoch (1970-01-01T00:00:00Z).
    /// - Returns: zero for a date in the past; delta-seconds beyond `Int32.max` are clamped to it.
    public static func parse(_ value: String, now: Duration) -> Duration? {
        let trimmed = Substring(value).trimmingCharacters(of: " \t")
        if trimmed.isEmpty { return nil }
        if trimmed.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) {
            let digits = trimmed.drop { $0 == "0" }
            if digits.count > 10 { return .seconds(Int64(Int32.max)) }
            return .seconds(min(Int64(digits) ?? 0, Int64(Int32.max)))
        }
        guard let date = parseHTTPDate(trimmed, now: now) else { return nil }
        let wait = Duration.seconds(date) - now
        return wait > .zero ? wait : .zero
    }

    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    private static let shortDays = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    private static let longDays = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]

    /// Seconds since the epoch for an HTTP-date; the weekday must be a valid name but is not cross-checked.
    static func parseHTTPDate(_ text: String, now: Duration) -> Int64? {
        let tokens = text.split(separator: " ", omittingEmptySubsequences: true)
        switch tokens.count {
        case 6:
            // IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT
            guard tokens[0].hasSuffix(","), shortDays.contains(String(tokens[0].dropLast())), tokens[5] == "GMT",
                tokens[1].count == 2, tokens[3].count == 4,
                let day = Int(tokens[1]), let month = monthNumber(tokens[2]), let year = Int(tokens[3])
            else { return nil }
            return timestamp(year: year, month: month, day: day, time: tokens[4])
        case 4:
            // RFC 850: Sunday, 06-Nov-94 08:49:37 GMT
            guard tokens[0].hasSuffix(","), longDays.contains(String(tokens[0].dropLast())), tokens[3] == "GMT"
            else { return nil }
            let date = tokens[1].split(separator: "-", omittingEmptySubsequences: false)
            guard date.count == 3, date[0].count == 2, date[2].count == 2,
                let day = Int(date[0]), let month = monthNumber(date[1]), let twoDigitYear = Int(date[2])
            else { return nil }
            // RFC 9110: a two-digit year more than 50 years in the future means the previous century.
            let currentYear = civilYear(ofEpochSeconds: now.components.seconds)
            var year = (currentYear / 100) * 100 + twoDigitYear
            if year > currentYear + 50 { year -= 100 }
            return timestamp(year: year, month: month, day: day, time: tokens[2])
        case 5:
            // asctime: Sun Nov  6 08:49:37 1994
            guard shortDays.contains(String(tokens[0])), let month = monthNumber(tokens[1]),
                tokens[2].count <= 2, let day = Int(tokens[2]), tokens[4].count == 4, let year = Int(tokens[4])
            else { return nil }
            return timestamp(year: year, month: month, day: day, time: tokens[3])
        default:
            return nil
        }
    }

    private static func monthNumber(_ name: Substring) -> Int? {
        months.firstIndex(of: String(name)).map { $0 + 1 }
    }

    private static func timestamp(year: Int, month: Int, day: Int, time: Substring) -> Int64? {
        let parts = time.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 3, parts.allSatisfy({ $0.count == 2 && $0.allSatisfy(\.isASCII) }),
            let hour = Int(parts[0]), let minute = Int(parts[1]), let second = Int(parts[2]),
            (0...23).contains(hour), (0...59).contains(minute), (0...60).contains(second),
            (1...12).contains(month), day >= 1, day <= daysInMonth(year: year, month: month)
        else { return nil }
        let days = daysFromCivil(year: year, month: month, day: day)
        return Int64(days) * 86_400 + Int64(hour * 3600 + minute * 60 + second)
    }

    private static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days since 1970-01-01 in the proleptic Gregorian calendar (Howard Hinnant's algorithm).
    private static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    private static func civilYear(ofEpochSeconds seconds: Int64) -> Int {
        let days = Int(seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400)
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        return yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
    }
}
