import Foundation
import HeraldCore

/// HTTP ingest's one route, `POST /events`, as a plain function from the request to the answer
/// (testable without a socket):
///
/// - `202 {"accepted": N, "duplicates": D}` once every delivery of every event is fsynced in the
///   journal; `duplicates` counts deliveries already journaled (a retried request).
/// - `400` with `rejected: [{line, reason, error}]` when some lines are not events: every other
///   line was accepted, and `accepted` counts them; or `{"error"}` when the body cannot be split.
/// - `401` without the right bearer token, `404` another path, `405` another method, `413` a body
///   over `max_body`, `415` a content type that is not JSON or NDJSON.
/// - `429` (`Retry-After: 1`) when `max_concurrent_requests` are journaling, `503`
///   (`Retry-After: 5`) while the journal is at its size budget or Herald is stopping.
public struct IngestRoutes: Sendable {
    public static let path = "/events"
    static let contentTypes = ["application/json", "application/x-ndjson", "application/jsonl", "application/ndjson", "text/plain"]

    let sink: HTTPIngestSink
    let token: AdminToken?

    public init(sink: HTTPIngestSink) {
        self.sink = sink
        token = sink.config.token.map(AdminToken.init)
    }

    /// Whether the request may be read at all: the answer to give before its body when not.
    public func refusal(method: String, path: String, authorization: String?, contentType: String?) -> AdminReply? {
        if let token, !token.accepts(authorization: authorization) {
            var reply = AdminReply.error(401, authorization == nil
                ? "this source needs 'Authorization: Bearer <token>' (source.http.token)"
                : "the bearer token is not source.http.token")
            reply.wwwAuthenticate = authorization == nil ? #"Bearer realm="herald""# : #"Bearer realm="herald", error="invalid_token""#
            return reply
        }
        guard path == Self.path else { return .error(404, "no such path '\(path)'; events go to POST \(Self.path)") }
        guard method == "POST" else {
            var reply = AdminReply.error(405, "method \(method) is not allowed; events go to POST \(Self.path)")
            reply.allow = "POST"
            return reply
        }
        if let contentType {
            let type = contentType.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
            guard Self.contentTypes.contains(type) else {
                return .error(415, "content type '\(contentType)' is not accepted; send application/json (an object or an array) or application/x-ndjson")
            }
        }
        return nil
    }

    /// A place for the request before its body is read: nil over `max_concurrent_requests`
    /// (answer ``busy()``).
    public func admit() -> HTTPIngestSink.Admission? { sink.admit() }

    public func busy() -> AdminReply { reply(to: .busy) }

    /// The answer for a body read in full (see ``refusal(method:path:authorization:contentType:)`` first).
    public func reply(body: [UInt8], admitted admission: HTTPIngestSink.Admission) async -> AdminReply {
        reply(to: await sink.ingest(body, admitted: admission))
    }

    private func reply(to outcome: HTTPIngestSink.Outcome) -> AdminReply {
        switch outcome {
        case .accepted(let report):
            let accepted = report.lines - report.rejected.count
            if report.rejected.isEmpty {
                return .json(202, AdminReply.encode(Accepted(accepted: accepted, duplicates: report.duplicates)))
            }
            return .json(400, AdminReply.encode(Rejected(accepted: accepted, duplicates: report.duplicates, rejected: report.rejected)))
        case .malformed(let message):
            return .error(400, message)
        case .busy:
            var reply = AdminReply.error(429, "too many requests are being journaled at once (source.http.max_concurrent_requests); try again")
            reply.retryAfter = 1
            return reply
        case .journalFull:
            var reply = AdminReply.error(503, "the journal is at its size budget (journal.max_bytes) until deliveries settle; try again")
            reply.retryAfter = 5
            return reply
        case .stopping:
            var reply = AdminReply.error(503, "herald is stopping; nothing of this request was acknowledged")
            reply.retryAfter = 5
            return reply
        }
    }

    /// The answer for a body over `max_body`.
    public func tooLarge() -> AdminReply {
        .error(413, "the body is over source.http.max_body (\(sink.config.maxBody) bytes); send fewer events per request")
    }

    struct Accepted: Encodable {
        var accepted: Int
        var duplicates: Int
    }

    struct Rejected: Encodable {
        var accepted: Int
        var duplicates: Int
        var rejected: [IngestReport.Rejected]
    }
}
