/// Parses sizes: plain bytes, or KiB/MiB/GiB (also KB/MB/GB, read as powers of 1024).
enum ByteSize {
    /// The largest size any config key accepts, so sums and products of sizes cannot overflow.
    static let maximum: Int64 = 1 << 40

    /// The size in bytes; nil for malformed text. Values that overflow 64 bits come back as
    /// `Int64.max`, past ``maximum``, so that they are reported as too large.
    static func parse(_ text: String) -> Int64? {
        let digits = text.prefix { ("0"..."9").contains($0) || $0 == "_" }
        let plain = digits.filter { $0 != "_" }
        guard !plain.isEmpty else { return nil }
        let value = Int64(plain) ?? .max
        let unit = text.dropFirst(digits.count).trimmingSpaces
        let multiplier: Int64
        switch unit.lowercased() {
        case "", "b": multiplier = 1
        case "k", "kb", "kib": multiplier = 1 << 10
        case "m", "mb", "mib": multiplier = 1 << 20
        case "g", "gb", "gib": multiplier = 1 << 30
        case "t", "tb", "tib": multiplier = 1 << 40
        default: return nil
        }
        let (result, overflow) = value.multipliedReportingOverflow(by: multiplier)
        return overflow ? .max : result
    }
}
