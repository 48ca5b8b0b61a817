/// A request rate such as `100/s` or `600/m`, used for per-endpoint token buckets.
public struct Rate: Sendable, Equatable, CustomStringConvertible {
    /// Requests allowed per `period`.
    public var count: Int
    public var period: Duration

    public init(count: Int, period: Duration) {
        self.count = count
        self.period = period
    }

    /// Parses `N/s`, `N/m` or `N/h` with N ≥ 1.
    public init?(parsing text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let count = Int(parts[0].trimmingSpaces), count >= 1 else { return nil }
        switch parts[1].trimmingSpaces {
        case "s": period = .seconds(1)
        case "m": period = .seconds(60)
        case "h": period = .seconds(3600)
        default: return nil
        }
        self.count = count
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
