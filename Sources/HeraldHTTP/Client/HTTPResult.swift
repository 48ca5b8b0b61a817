/// What came back from one ``HTTPRequest``: a response, a transport error, or a partial response and an error.
public struct HTTPResult: Sendable {
    /// The response status; `nil` when no response line arrived.
    public var status: Int?
    /// Headers of the final response (interim `1xx` responses are discarded), in arrival order.
    public var headers: [HTTPHeader]
    /// The first ``HTTPClient/Configuration/maxResponseBytes`` of the body.
    public var body: [UInt8]
    /// The body was longer than what `body` holds.
    public var bodyTruncated: Bool
    /// Set when the exchange failed; a status may still be present if the failure came mid-response.
    public var error: HTTPTransportError?
    /// Time libcurl spent on the transfer, from start to the last byte (queueing excluded).
    public var duration: Duration
    /// `"1.0"`, `"1.1"`, `"2"`, `"3"`, or `""` when no response arrived.
    public var httpVersion: String
    /// The transfer ran on a connection that an earlier transfer opened.
    public var connectionReused: Bool

    public init(
        status: Int? = nil,
        headers: [HTTPHeader] = [],
        body: [UInt8] = [],
        bodyTruncated: Bool = false,
        error: HTTPTransportError? = nil,
        duration: Duration = .zero,
        httpVersion: String = "",
        connectionReused: Bool = false
    ) {
        self.status = status
        self.headers = headers
        self.body = body
        self.bodyTruncated = bodyTruncated
        self.error = error
        self.duration = duration
        self.httpVersion = httpVersion
        self.connectionReused = connectionReused
    }

    /// No transport error and a `2xx` status.
    public var isSuccess: Bool {
        error == nil && (status.map { (200..<300).contains($0) } ?? false)
    }
}
