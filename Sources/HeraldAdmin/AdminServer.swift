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
    public typealias StartError = ListenerStartError

    let listener: LimitedListener<AdminResponder>

    public init(host: String, port: Int, routes: AdminRoutes, limits: AdminLimits = AdminLimits(), logger: Logger) {
        listener = LimitedListener(host: host, port: port, responder: AdminResponder(routes: routes), limits: limits,
                                   setting: "admin.listen", listening: "admin API listening", logger: logger)
    }

    /// Listens until graceful shutdown of the group it runs in. Throws ``StartError`` when the
    /// address cannot be bound, which shuts the sidecar's group down.
    public func run() async throws {
        try await listener.run()
    }

    /// Listens, runs `work`, then stops listening (see ``LimitedListener/serve(while:)``).
    public func serve(while work: () async throws -> Void) async throws {
        try await listener.serve(while: work)
    }
}

/// The address of a listener could not be bound (in use, not local, no permission).
public struct ListenerStartError: Error, CustomStringConvertible {
    public var description: String
}

/// A Hummingbird HTTP/1.1 listener within ``AdminLimits``: what the admin API and HTTP ingest
/// both listen with.
public struct LimitedListener<Responder: HTTPResponder>: Service where Responder.Context == BasicRequestContext {
    public typealias StartError = ListenerStartError

    let host: String
    let port: Int
    let responder: Responder
    let limits: AdminLimits
    /// The config key of the address, for the error when it cannot be bound.
    let setting: String
    /// Logged once listening.
    let listening: Logger.Message
    /// How long requests in flight may finish once the listener is told to stop.
    var shutdownGrace: Duration = .seconds(1)
    let logger: Logger

    init(host: String, port: Int, responder: Responder, limits: AdminLimits, setting: String, listening: Logger.Message,
         shutdownGrace: Duration = .seconds(1), logger: Logger) {
        self.host = host
        self.port = port
        self.responder = responder
        self.limits = limits
        self.setting = setting
        self.listening = listening
        self.shutdownGrace = shutdownGrace
        self.logger = logger
    }

    public func run() async throws {
        try await serve {
            // Cancellation ends the wait as well: either way the listener stops.
            try? await gracefulShutdown()
        }
    }

    /// Listens, runs `work`, then stops listening: requests in flight get up to `shutdownGrace`
    /// to finish, so the listener never holds up shutdown. Throws ``StartError`` without running
    /// `work` when the address cannot be bound.
    public func serve(while work: () async throws -> Void) async throws {
        let (listeningStream, listened) = AsyncStream<Void>.makeStream()
        var quiet = logger
        quiet.logLevel = max(logger.logLevel, .warning)
        let gate = ConnectionGate(limit: limits.maxConnections)
        let app = Application(
            responder: responder,
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
        configuration.maximumGracefulShutdownDuration = shutdownGrace
        let server = ServiceGroup(configuration: configuration)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                defer { listened.finish() }
                try await server.run()
            }
            guard await listeningStream.first(where: { _ in true }) != nil else {
                // The server ended before listening: its error says why (an address in use, say).
                let reason: String
                do {
                    try await group.next()
                    reason = "the server stopped"
                } catch {
                    reason = "\(error)"
                }
                throw StartError(description: "cannot listen on \(host):\(port) (\(setting)): \(reason)")
            }
            logger.info(listening, metadata: ["address": "\(host):\(port)"])
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
public struct AdminResponder: HTTPResponder {
    public typealias Context = BasicRequestContext
    let routes: AdminRoutes

    public func respond(to request: Request, context: BasicRequestContext) async throws -> Response {
        let reply = await routes.reply(
            method: request.method.rawValue, path: request.uri.path, query: request.uri.query,
            authorization: request.headers[.authorization])
        return reply.response
    }
}

extension AdminReply {
    /// The reply as Hummingbird writes it.
    var response: Response {
        var headers = HTTPFields()
        headers[.contentType] = contentType
        if let allow { headers[.allow] = allow }
        if let wwwAuthenticate { headers[.wwwAuthenticate] = wwwAuthenticate }
        if let retryAfter { headers[.retryAfter] = String(retryAfter) }
        return Response(status: HTTPResponse.Status(code: status), headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }
}
