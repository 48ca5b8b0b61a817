/// A request rate such as `100/s` or `600/m`, used for per-endpoint token buckets.
public struct Rate: Sendable, Equatable, CustomStringConvertible {
    /// Requests allowed per `period`.
    public var count: Int
    public var period: Duration

    public init(count: Int, period: Duration) {
        self.count = count
        self.period = period
    }

    /// The most requests a rate may allow per period: above any receiver's capacity, and low
    /// enough that the token bucket's integer arithmetic has room to spare.
    public static let maxCount = 1_000_000

    /// Why a rate's text was refused.
    public enum Problem: Error, Equatable {
        case malformed
        case tooLarge
    }

    /// Parses `N/s`, `N/m` or `N/h` with 1 ≤ N ≤ ``maxCount``.
    public init?(parsing text: String) {
        guard case .success(let rate) = Self.parse(text) else { return nil }
        self = rate
    }

    /// Like ``init(parsing:)``, telling a count that is too large from one that is no rate.
    public static func parse(_ text: String) -> Result<Rate, Problem> {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2 else { return .failure(.malformed) }
        let period: Duration
        switch parts[1].trimmingSpaces {
        case "s": period = .seconds(1)
        case "m": period = .seconds(60)
        case "h": period = .seconds(3600)
        default: return .failure(.malformed)
        }
        let digits = parts[0].trimmingSpaces
        guard !digits.isEmpty, digits.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return .failure(.malformed) }
        // Any run of digits past maxCount is too large, however long (Int() would fail on it).
        let significant = digits.drop { $0 == "0" }
        guard significant.count <= 7, let count = Int(significant.isEmpty ? "0" : significant), count <= maxCount else {
            return .failure(.tooLarge)
        }
        guard count >= 1 else { return .failure(.malformed) }
        return .success(Rate(count: count, period: period))
    }

    public var description: String {
        switch period {
        case .seconds(60): "\(count)/m"
        case .seconds(3600): "\(count)/h"
        default: "\(count)/s"
        }
    }
}

extension Substring {
    var trimmingSpaces: Substring {
        var slice = self
        while slice.first == " " { slice.removeFirst() }
        while slice.last == " " { slice.removeLast() }
        return slice
    }
}
