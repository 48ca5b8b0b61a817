import Foundation
import HeraldHTTP

/// A running herald's `/metrics`, read through its admin API on `port`: for tests that check what
/// was counted.
final class AdminMetrics: Sendable {
    let port: Int
    private let client: HTTPClient

    init(port: Int) throws {
        self.port = port
        client = try HTTPClient()
    }

    deinit {
        client.shutdown()
    }

    func fetch() async throws -> PrometheusText {
        let reply = await client.send(HTTPRequest(method: "GET", url: "http://127.0.0.1:\(port)/metrics", timeout: .seconds(30)))
        return try PrometheusText(String(decoding: reply.body, as: UTF8.self))
    }

    /// The sample's value once it is at least `minimum` (nil if it never was within `timeout`).
    func value(_ name: String, _ labels: [String: String] = [:], atLeast minimum: Double,
               timeout: Duration = .seconds(60)) async throws -> Double? {
        let text = try await poll(timeout: timeout, { try? await fetch() }, until: { ($0?.value(name, labels) ?? -1) >= minimum })
        return text?.value(name, labels)
    }
}
