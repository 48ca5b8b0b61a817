import Foundation

extension UnixTime {
    /// RFC 3339 in UTC with milliseconds (`2026-11-25T13:57:18.123Z`), as commands and Herald's
    /// own events show times.
    public static func rfc3339(_ milliseconds: Int64) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: Date(timeIntervalSince1970: Double(milliseconds) / 1000))
    }
}
