import HeraldCore
import Prometheus

/// The admin API's routes as a plain function from method, path and query to a reply, so that
/// every answer can be tested without a socket. Read-only: every route answers GET only.
///
/// With a token, every request needs `Authorization: Bearer <token>` except the probes: `/healthz`
/// always answers, and `/readyz` answers its status with `{"ready": …}` only, its reasons (endpoint
/// names, receivers' answers) going to authorized requests alone. Kubernetes probes cannot read a
/// Secret, and their status code is all they use.
public struct AdminRoutes: Sendable {
    public static let paths = ["/healthz", "/readyz", "/metrics", "/deliveries"]
    /// Paths answered without the token: the probes.
    public static let openPaths: Set<String> = ["/healthz", "/readyz"]
    /// The Prometheus text exposition format's content type.
    public static let metricsContentType = "text/plain; version=0.0.4; charset=utf-8"

    let registry: PrometheusCollectorRegistry
    let readiness: Readiness
    let deliveries: DeliveriesQuery?
    let token: AdminToken?

    /// `deliveries`: the delivery log's query; without one `/deliveries` answers 503. `token`: the
    /// bearer token requests need (all but the probes); nil leaves the API open.
    public init(registry: PrometheusCollectorRegistry, readiness: Readiness, deliveries: DeliveriesQuery?, token: AdminToken? = nil) {
        self.registry = registry
        self.readiness = readiness
        self.deliveries = deliveries
        self.token = token
    }

    /// - Parameter authorization: the request's `Authorization` header, if any.
    public func reply(method: String, path: String, query: String?, authorization: String? = nil) async -> AdminReply {
        let authorized = token?.accepts(authorization: authorization) ?? true
        if !authorized && !Self.openPaths.contains(path) {
            var reply = AdminReply.error(401, authorization == nil
                ? "this admin API needs 'Authorization: Bearer <admin.token>'"
                : "the bearer token is not admin.token")
            reply.wwwAuthenticate = authorization == nil ? #"Bearer realm="herald""# : #"Bearer realm="herald", error="invalid_token""#
            return reply
        }
        guard Self.paths.contains(path) else {
            return .error(404, "no such path '\(path)'; the admin API has \(Self.paths.joined(separator: ", "))")
        }
        guard method == "GET" else {
            var reply = AdminReply.error(405, "method \(method) is not allowed; the admin API answers GET only")
            reply.allow = "GET"
            return reply
        }
        switch path {
        case "/healthz":
            return .text(200, "ok\n")
        case "/readyz":
            let report = readiness.report()
            guard authorized else { return .json(report.ready ? 200 : 503, AdminReply.encode(["ready": report.ready])) }
            return .json(report.ready ? 200 : 503, AdminReply.encode(report))
        case "/metrics":
            var body: [UInt8] = []
            registry.emit(into: &body)
            return AdminReply(status: 200, contentType: Self.metricsContentType, body: body)
        default:
            return await deliveriesReply(query: query)
        }
    }

    private func deliveriesReply(query: String?) async -> AdminReply {
        let parameters: [String: String]
        do {
            parameters = try QueryString.parse(query)
        } catch {
            return .error(400, error.message)
        }
        for name in parameters.keys.sorted() where !DeliveriesParameters.names.contains(name) {
            let hint = Suggestion.closest(to: name, in: DeliveriesParameters.names).map { "; did you mean '\($0)'?" }
                ?? "; known: \(DeliveriesParameters.names.joined(separator: ", "))"
            return .error(400, "unknown parameter '\(name)'\(hint)")
        }
        for name in DeliveriesParameters.names where parameters[name]?.isEmpty == true {
            return .error(400, "parameter '\(name)' has no value")
        }
        guard let deliveries else { return .error(503, "the delivery log is off (delivery_log: { enabled: false })") }
        switch await deliveries(parameters) {
        case .page(let json): return .json(200, json)
        case .badRequest(let reason): return .error(400, reason)
        case .unavailable(let reason): return .error(503, reason)
        }
    }
}
