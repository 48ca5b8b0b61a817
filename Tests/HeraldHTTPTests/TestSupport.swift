import HeraldHTTP
import Synchronization

/// Collects what a test server received, for assertions after the exchange.
final class Recorder: Sendable {
    private let requests = Mutex<[ReceivedRequest]>([])

    func record(_ request: ReceivedRequest) {
        requests.withLock { $0.append(request) }
    }

    var all: [ReceivedRequest] {
        requests.withLock { $0 }
    }
}

/// Runs `body` with a started server and client, and stops both afterwards.
func withServer<T>(
    client configuration: HTTPClient.Configuration = HTTPClient.Configuration(),
    handler: @escaping @Sendable (ReceivedRequest) -> ServerResponse,
    _ body: (HTTPServer, HTTPClient) async throws -> T
) async throws -> T {
    let server = try HTTPServer(handler: handler)
    let client = try HTTPClient(configuration: configuration)
    defer {
        client.shutdown()
        server.stop()
    }
    return try await body(server, client)
}

/// Deterministic pseudo-random bytes, so a failure reproduces.
func patternBytes(count: Int, seed: UInt64) -> [UInt8] {
    var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
    return (0..<count).map { _ in
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return UInt8(truncatingIfNeeded: state)
    }
}

/// Polls `condition` until it holds or `timeout` passes, sleeping between polls so the cooperative pool stays free.
/// A passing test returns at the first poll that sees the condition, so the timeout can be generous.
func eventually(timeout: Duration = .seconds(60), _ condition: () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return condition()
}
