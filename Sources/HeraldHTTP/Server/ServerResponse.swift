/// What ``HTTPServer`` answers to one request, or how it misbehaves instead.
public struct ServerResponse: Sendable {
    public var status: Int
    /// Sent as given; `Content-Length` and `Connection` are written by the server and dropped from here.
    public var headers: [HTTPHeader]
    public var body: [UInt8]
    /// Wait this long before answering (or dropping), to simulate a slow or stalled receiver.
    public var delay: Duration?
    /// Close the connection without writing anything.
    public var dropConnection: Bool

    public init(
        status: Int = 200, headers: [HTTPHeader] = [], body: [UInt8] = [], delay: Duration? = nil,
        dropConnection: Bool = false
    ) {
        self.status = status
        self.headers = headers
        self.body = body
        self.delay = delay
        self.dropConnection = dropConnection
    }

    /// Closes the connection without answering, after `delay` if given.
    public static func drop(after delay: Duration? = nil) -> ServerResponse {
        ServerResponse(status: 0, delay: delay, dropConnection: true)
    }

    static func reasonPhrase(_ status: Int) -> String {
        switch status {
        case 100: "Continue"
        case 200: "OK"
        case 201: "Created"
        case 202: "Accepted"
        case 204: "No Content"
        case 301: "Moved Permanently"
        case 302: "Found"
        case 303: "See Other"
        case 304: "Not Modified"
        case 307: "Temporary Redirect"
        case 308: "Permanent Redirect"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 408: "Request Timeout"
        case 410: "Gone"
        case 413: "Content Too Large"
        case 429: "Too Many Requests"
        case 431: "Request Header Fields Too Large"
        case 500: "Internal Server Error"
        case 502: "Bad Gateway"
        case 503: "Service Unavailable"
        case 504: "Gateway Timeout"
        default: "Status \(status)"
        }
    }
}
