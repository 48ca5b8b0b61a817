import HTTPTypes
import HeraldCore
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import ServiceLifecycle

/// The admin HTTP listener (`admin.listen`): serves ``AdminRoutes`` with Hummingbird, as a
/// service of the sidecar's group (``run()``) or around a piece of work (``serve(while:)``),
/// within ``AdminLimits``: a connection cap, idle and request timeouts, a small request head.
public struct AdminServer: Service {
    public struct StartError: Error, CustomStringConvertible {
        public var description: String
    }

    let host: String
    let port: Int
    let routes: AdminRoutes
    let limits: AdminLimits
    let logger: Logger

    public init(host: String, port: Int, routes: AdminRoutes, limits: AdminLimits = AdminLimits(), logger: Logger) {
        self.host = host
        self.port = port
        self.routes = routes
        self.limits = limits
        self.logger = logger
    }

    /// Listens until graceful shutdown of the group it runs in. Throws ``StartError`` when the
    /// address cannot be bound, which shuts the sidecar's group down.
    public func run() async throws {
        try await serve {
            // Cancellation ends the wait as well: either way the listener stops.
            try? await gracefulShutdown()
        }
    }

    /// Listens, runs `work`, then stops listening: requests in flight get up to a second to
    /// finish, so the listener never holds up shutdown. Throws ``StartError`` without running
    /// `work` when the address cannot be bound.
    public func serve(while work: () async throws -> Void) async throws {
        let (listening, listened) = AsyncStream<Void>.makeStream()
        var quiet = logger
        quiet.logLevel = max(logger.logLevel, .warning)
        let gate = ConnectionGate(limit: limits.maxConnections)
        let app = Application(
            responder: AdminResponder(routes: routes),
            server: .admin(limits: limits, gate: gate),
            configuration: ApplicationConfiguration(
                address: .hostname(host, port: port), serverName: nil,
                // Hummingbird's own cap is the backstop on descriptors: past it, accepting pauses.
                // Below it, connections past the gate's limit are answered 503 and closed at once.
                availableConnectionsDelegate: MaximumAvailableConnections(limits.maxConnections * 2 + 16)),
            onServerRunning: { _ in
                listened.yield()
                listened.finish()
            },
            logger: quiet
        )
        // No signals: the sidecar handles those, and stops the listener by returning from `work`.
        var configuration = ServiceGroupConfiguration(services: [app], logger: quiet)
        configuration.maximumGracefulShutdownDuration = .seconds(1)
        let server = ServiceGroup(configuration: configuration)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                defer { listened.finish() }
                try await server.run()
            }
            guard await listening.first(where: { _ in true }) != nil else {
                // The server ended before listening: its error says why (an address in use, say).
                let reason: String
                do {
                    try await group.next()
                    reason = "the server stopped"
                } catch {
                    reason = "\(error)"
                }
                throw StartError(description: "cannot listen on \(host):\(port) (admin.listen): \(reason)")
            }
            logger.info("admin API listening", metadata: ["address": "\(host):\(port)"])
            do {
                try await work()
            } catch {
                group.cancelAll()
                throw error
            }
            await server.triggerGracefulShutdown()
        }
    }
}

/// Hands each request to ``AdminRoutes`` and writes its reply.
struct AdminResponder: HTTPResponder {
    typealias Context = BasicRequestContext
    let routes: AdminRoutes

    func respond(to request: Request, context: BasicRequestContext) async throws -> Response {
        let reply = await routes.reply(
            method: request.method.rawValue, path: request.uri.path, query: request.uri.query,
            authorization: request.headers[.authorization])
        var headers = HTTPFields()
        headers[.contentType] = reply.contentType
        if let allow = reply.allow { headers[.allow] = allow }
        if let challenge = reply.wwwAuthenticate { headers[.wwwAuthenticate] = challenge }
        return Response(status: HTTPResponse.Status(code: reply.status), headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: reply.body)))
    }
}
