import Foundation

/// One answer of the admin API, independent of the HTTP server that writes it.
public struct AdminReply: Sendable, Equatable {
    public var status: Int
    public var contentType: String
    public var body: [UInt8]
    /// Set on 405: the methods the path accepts.
    public var allow: String?
    /// Set on 401: the `WWW-Authenticate` challenge.
    public var wwwAuthenticate: String?
    /// Set on 429 and 503 from HTTP ingest: seconds before trying again.
    public var retryAfter: Int?

    public init(status: Int, contentType: String, body: [UInt8], allow: String? = nil) {
        self.status = status
        self.contentType = contentType
        self.body = body
        self.allow = allow
    }

    public static func text(_ status: Int, _ text: String) -> AdminReply {
        AdminReply(status: status, contentType: "text/plain; charset=utf-8", body: Array(text.utf8))
    }

    public static func json(_ status: Int, _ body: [UInt8]) -> AdminReply {
        AdminReply(status: status, contentType: "application/json", body: body)
    }

    /// `{"error": message}` with the given status.
    public static func error(_ status: Int, _ message: String) -> AdminReply {
        json(status, encode(["error": message]))
    }

    static func encode(_ value: some Encodable) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(value)).map { Array($0) + [0x0A] } ?? Array(#"{"error":"cannot encode the answer"}"#.utf8)
    }
}
