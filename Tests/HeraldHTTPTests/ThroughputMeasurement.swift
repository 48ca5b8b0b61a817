import HeraldHTTP
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Sends/s of 300-byte POSTs; a measurement run by hand, never part of a normal test run:
///
///     HERALD_HTTP_BENCH=1 swift test --filter ThroughputMeasurement
///     HERALD_HTTP_BENCH=1 HERALD_HTTP_BENCH_URL=http://127.0.0.1:8089/ swift test --filter ThroughputMeasurement
///
/// Without `HERALD_HTTP_BENCH_URL` it measures against this module's own ``HTTPServer``; `HERALD_HTTP_BENCH_COUNT`
/// sets the sends per level (default 200,000). This is a debug build: with Swift 6.3.1, `swift test -c release`
/// fails to compile Swift Testing suites ("'@const' value should be initialized with a compile-time value"), so
/// optimised figures come from linking the release `HeraldHTTP` objects into a small driver instead.
@Suite("ThroughputMeasurement", .enabled(if: getenv("HERALD_HTTP_BENCH") != nil))
struct ThroughputMeasurement {
    @Test("print sends per second at 1, 8 and 32 in flight")
    func measure() async throws {
        let server = try HTTPServer(handler: { _ in ServerResponse(status: 204) })
        defer { server.stop() }
        let url = getenv("HERALD_HTTP_BENCH_URL").map { String(cString: $0) } ?? server.baseURL + "/"
        let total = getenv("HERALD_HTTP_BENCH_COUNT").flatMap { Int(String(cString: $0)) } ?? 200_000
        let client = try HTTPClient()
        defer { client.shutdown() }
        let body = Array(("{\"id\":\"evt_000000\",\"type\":\"order.created\",\"data\":{\"note\":\"" + String(repeating: "x", count: 230) + "\"}}").utf8)
        let request = HTTPRequest(
            url: url, headers: [HTTPHeader("Content-Type", "application/json")], body: Array(body.prefix(300)))
        for inFlight in [1, 8, 32] {
            _ = await run(client, request, count: 2_000, inFlight: inFlight)
            let (elapsed, failures) = await run(client, request, count: total, inFlight: inFlight)
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            print(
                "HTTP bench \(url) in flight \(inFlight): \(total) sends in \(seconds) s = \(Int(Double(total) / seconds))/s, failures \(failures)"
            )
        }
        print("server connections accepted: \(server.connectionsAccepted)")
    }

    private func run(_ client: HTTPClient, _ request: HTTPRequest, count: Int, inFlight: Int) async -> (Duration, Int) {
        let remaining = Countdown(count)
        let clock = ContinuousClock()
        let start = clock.now
        let failures = await withTaskGroup(of: Int.self) { group in
            for _ in 0..<inFlight {
                group.addTask {
                    var failures = 0
                    while remaining.take() {
                        let result = await client.send(request)
                        if result.status != 204 { failures += 1 }
                    }
                    return failures
                }
            }
            return await group.reduce(0, +)
        }
        return (clock.now - start, failures)
    }
}

/// Hands out a fixed number of sends to concurrent workers.
private final class Countdown: Sendable {
    private let remaining: Atomic<Int>

    init(_ count: Int) {
        remaining = Atomic(count)
    }

    func take() -> Bool {
        remaining.subtract(1, ordering: .relaxed).newValue >= 0
    }
}
