import Foundation
import HeraldHTTP


/// A real HTTP receiver on 127.0.0.1 for delivery tests: records every request and answers
/// with whatever `respond` says for it (by default 204).
final class Receiver: Sendable {
    struct Request: Sendable {
        var id: String
        var headers: [HTTPHeader]
        var body: [UInt8]
        var receivedAt: ContinuousClock.Instant
        var method = "POST"
        var target = "/hooks"
    }

    private let log = Locked<[Request]>([])
    private let seen = Locked<[String: Int]>([:])
    private let server: HTTPServer

    /// `respond` gets the request and how many times its webhook-id was seen before it.
    /// `port` 0 picks a free port; a test that needs a receiver to come up late passes a ``PortReservation``'s.
    init(port: Int = 0, respond: @escaping @Sendable (ReceivedRequest, Int) -> ServerResponse = { _, _ in ServerResponse(status: 204) }) throws {
        let log = log, seen = seen
        server = try HTTPServer(host: "127.0.0.1", port: port) { request in
            let id = request.headers.first(named: "webhook-id") ?? ""
            let previous = seen.withLock { counts in
                defer { counts[id, default: 0] += 1 }
                return counts[id, default: 0]
            }
            log.withLock {
                $0.append(Request(id: id, headers: request.headers, body: request.body, receivedAt: .now, method: request.method, target: request.target))
            }
            return respond(request, previous)
        }
    }

    var url: String { "\(server.baseURL)/hooks" }
    var requests: [Request] { log.withLock { $0 } }
    var uniqueIDs: Set<String> { Set(requests.map(\.id)) }

    /// Frees the port and drops open connections; does not wait for connection threads (see ``HTTPServer/stop()``).
    func stop() { server.stop() }

    /// Waits until `condition` holds for the recorded requests, or `timeout` passes.
    @discardableResult
    func wait(timeout: Duration = .seconds(60), until condition: ([Request]) -> Bool) async -> Bool {
        await waitUntil(timeout: timeout) { condition(requests) }
    }
}
