/// Parses sizes: plain bytes, or KiB/MiB/GiB (also KB/MB/GB, read as powers of 1024).
enum ByteSize {
    static func parse(_ text: String) -> Int64? {
        let digits = text.prefix { $0.isNumber || $0 == "_" }
        guard let value = Int64(digits.filter { $0 != "_" }) else { return nil }
        let unit = text.dropFirst(digits.count).trimmingSpaces
        let multiplier: Int64
        switch unit.lowercased() {
        case "", "b": multiplier = 1
        case "k", "kb", "kib": multiplier = 1 << 10
        case "m", "mb", "mib": multiplier = 1 << 20
        case "g", "gb", "gib": multiplier = 1 << 30
        default: return nil
        }
        let (result, overflow) = value.multipliedReportingOverflow(by: multiplier)
        return overflow ? nil : result
    }
}
