import HTTPTypes
import HeraldCore
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// An HTTP ingest source's listener (`source.http.listen`): ``IngestRoutes`` on Hummingbird, with
/// the admin listener's connection cap and timeouts, reading a body only up to `max_body`.
public struct IngestServer: Service {
    let listener: LimitedListener<IngestResponder>

    public init(sink: HTTPIngestSink, logger: Logger) {
        let config = sink.config
        let limits = AdminLimits(maxConnections: max(64, 2 * config.maxConcurrentRequests), idleTimeout: .seconds(30), requestTimeout: .seconds(30))
        listener = LimitedListener(host: config.host, port: config.port, responder: IngestResponder(routes: IngestRoutes(sink: sink)),
                                   limits: limits, setting: "source '\(sink.source)' http.listen", listening: "http source listening",
                                   shutdownGrace: .seconds(5), logger: logger)
    }

    public func run() async throws {
        try await listener.run()
    }
}

/// Reads a request's body up to the limit and hands it to ``IngestRoutes``.
public struct IngestResponder: HTTPResponder {
    public typealias Context = BasicRequestContext
    let routes: IngestRoutes

    public func respond(to request: Request, context: BasicRequestContext) async throws -> Response {
        await answer(request).response
    }

    private func answer(_ request: Request) async -> AdminReply {
        if let refusal = routes.refusal(method: request.method.rawValue, path: request.uri.path,
                                        authorization: request.headers[.authorization], contentType: request.headers[.contentType]) {
            return refusal
        }
        let limit = routes.sink.config.maxBody
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit { return routes.tooLarge() }
        // Admitted before the body is read: past the limit a body is never held.
        guard let admission = routes.admit() else { return routes.busy() }
        var body: [UInt8] = []
        do {
            for try await buffer in request.body {
                guard body.count + buffer.readableBytes <= limit else { return routes.tooLarge() }
                body.append(contentsOf: buffer.readableBytesView)
            }
        } catch {
            return .error(400, "the request body could not be read: \(error)")
        }
        return await routes.reply(body: body, admitted: admission)
    }
}
