import HeraldHTTP
import Testing

@Suite("Retry-After parsing")
struct RetryAfterTests {
    /// 1994-11-06T08:49:00Z, 37 seconds before the RFC's example date.
    static let now = Duration.seconds(784_111_740)

    @Test(
        "a valid value gives the wait relative to now",
        arguments: [
            ("120", Duration.seconds(120)),
            ("0", .zero),
            (" 5 ", .seconds(5)),
            ("007", .seconds(7)),
            ("99999999999999999999", .seconds(Int64(Int32.max))),
            ("Sun, 06 Nov 1994 08:49:37 GMT", .seconds(37)),
            ("Sunday, 06-Nov-94 08:49:37 GMT", .seconds(37)),
            ("Sun Nov  6 08:49:37 1994", .seconds(37)),
            ("Sun, 06 Nov 1994 09:49:00 GMT", .seconds(3600)),
            ("Mon, 07 Nov 1994 08:49:00 GMT", .seconds(86_400)),
            ("Sat, 05 Nov 1994 08:49:37 GMT", .zero),
            ("Thu, 01 Jan 1970 00:00:00 GMT", .zero),
        ])
    func valid(value: String, expected: Duration) {
        #expect(RetryAfter.parse(value, now: Self.now) == expected)
    }

    @Test(
        "an invalid value gives nil",
        arguments: [
            "", "  ", "-5", "1.5", "soon", "120 seconds",
            "Sun, 06 Nov 1994 08:49:37 UTC",
            "Sun, 31 Nov 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 24:00:00 GMT",
            "Sun, 06 Foo 1994 08:49:37 GMT",
            "Sunday, 06-Nov-1994 08:49:37 GMT",
            "Sun Nov  6 08:49 1994",
            "Xyz, 06 Nov 1994 08:49:37 GMT",
        ])
    func invalid(value: String) {
        #expect(RetryAfter.parse(value, now: Self.now) == nil)
    }

    @Test("a two-digit RFC 850 year is read in the century that keeps it within 50 years")
    func twoDigitYear() {
        let in2026 = Duration.seconds(1_764_000_000)
        #expect(RetryAfter.parse("Friday, 27-Nov-26 00:00:00 GMT", now: in2026).map { $0 > .zero } == true)
        #expect(RetryAfter.parse("Sunday, 06-Nov-94 08:49:37 GMT", now: in2026) == .zero)
    }

    @Test("a leap day is accepted only in a leap year")
    func leapDay() {
        #expect(RetryAfter.parse("Thu, 29 Feb 2024 00:00:00 GMT", now: .zero) == .seconds(1_709_164_800))
        #expect(RetryAfter.parse("Thu, 29 Feb 2023 00:00:00 GMT", now: .zero) == nil)
    }

    @Test("without an explicit now, delta-seconds and past dates are read against the wall clock")
    func wallClock() {
        #expect(RetryAfter.parse("60") == .seconds(60))
        #expect(RetryAfter.parse("Sun, 06 Nov 1994 08:49:37 GMT") == .zero)
        #expect(RetryAfter.unixNow() > .seconds(1_700_000_000))
    }
}
