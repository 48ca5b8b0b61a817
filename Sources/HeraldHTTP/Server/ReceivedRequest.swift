/// A request as ``HTTPServer`` read it off the wire, body de-chunked.
public struct ReceivedRequest: Sendable {
    public var method: String
    /// The request target as sent, e.g. `/hooks/a?x=1`.
    public var target: String
    /// `HTTP/1.1` or `HTTP/1.0`.
    public var version: String
    public var headers: [HTTPHeader]
    public var body: [UInt8]
    /// Which accepted connection carried the request (1 for the first), for tests of connection reuse.
    public var connectionNumber: Int

    public init(
        method: String, target: String, version: String = "HTTP/1.1", headers: [HTTPHeader] = [],
        body: [UInt8] = [], connectionNumber: Int = 0
    ) {
        self.method = method
        self.target = target
        self.version = version
        self.headers = headers
        self.body = body
        self.connectionNumber = connectionNumber
    }

    /// The target without its query string.
    public var path: String {
        String(target.prefix { $0 != "?" })
    }
}
