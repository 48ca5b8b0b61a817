import Foundation
import HeraldCore
import HeraldHTTP
import Logging
import Prometheus
import Testing

@testable import HeraldAdmin

@Suite("admin server over HTTP")
struct AdminServerTests {
    func server(port: Int) -> AdminServer {
        let routes = AdminRoutes(registry: PrometheusCollectorRegistry(), readiness: Readiness(), deliveries: { _ in .badRequest("no") })
        return AdminServer(host: "127.0.0.1", port: port, routes: routes, logger: Logger(label: "test"))
    }

    /// Serves on the first free port tried, below the ephemeral range so that a port-0 listener
    /// elsewhere cannot take it; returns the port.
    func serveOnAFreePort(_ work: (Int) async throws -> Void) async throws -> Int {
        for _ in 0..<100 {
            let port = Int.random(in: 20_000..<32_000)
            do {
                try await server(port: port).serve { try await work(port) }
                return port
            } catch is AdminServer.StartError {
                continue
            }
        }
        throw AdminServer.StartError(description: "no free port found in 20000..<32000")
    }

    @Test("serves while the work runs, with status, content type and Allow headers; stops when it returns")
    func serves() async throws {
        let client = try HTTPClient()
        defer { client.shutdown() }
        let port = try await serveOnAFreePort { port in
            let base = "http://127.0.0.1:\(port)"
            let health = await client.send(HTTPRequest(method: "GET", url: "\(base)/healthz"))
            #expect(health.status == 200)
            #expect(String(decoding: health.body, as: UTF8.self) == "ok\n")
            let metrics = await client.send(HTTPRequest(method: "GET", url: "\(base)/metrics"))
            #expect(metrics.headers.first(named: "content-type") == AdminRoutes.metricsContentType)
            let refused = await client.send(HTTPRequest(method: "GET", url: "\(base)/deliveries?limit=x"))
            #expect(refused.status == 400)
            #expect(String(decoding: refused.body, as: UTF8.self) == #"{"error":"no"}"# + "\n")
            let posted = await client.send(HTTPRequest(method: "POST", url: "\(base)/healthz", body: Array("x".utf8)))
            #expect(posted.status == 405)
            #expect(posted.headers.first(named: "allow") == "GET")
            #expect(await client.send(HTTPRequest(method: "GET", url: "\(base)/nope?%zz")).status == 404)
        }
        let after = await client.send(HTTPRequest(method: "GET", url: "http://127.0.0.1:\(port)/healthz", timeout: .seconds(2)))
        #expect(after.status == nil)
    }

    @Test("an address in use is a StartError naming admin.listen, and the work never runs")
    func addressInUse() async throws {
        // A port the kernel picks and this server holds, so no test running in parallel can have it.
        let held = try HTTPServer(host: "127.0.0.1", port: 0, handler: { _ in ServerResponse(status: 204) })
        defer { held.stop() }
        var ran = false
        await #expect(throws: AdminServer.StartError.self) {
            try await server(port: held.port).serve { ran = true }
        }
        #expect(!ran)
    }
}
