extension Duration {
    /// Whole milliseconds, rounded up so that a positive sub-millisecond duration never becomes zero.
    public var roundedUpMilliseconds: Int64 {
        let (seconds, attoseconds) = components
        if seconds < 0 || (seconds == 0 && attoseconds <= 0) { return 0 }
        let perMillisecond: Int64 = 1_000_000_000_000_000
        let (sub, rest) = attoseconds.quotientAndRemainder(dividingBy: perMillisecond)
        let (product, overflow) = seconds.multipliedReportingOverflow(by: 1000)
        if overflow { return Int64.max / 2 }
        return product + sub + (rest > 0 ? 1 : 0)
    }
}
