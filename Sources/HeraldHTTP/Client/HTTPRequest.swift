/// One HTTP exchange for ``HTTPClient/send(_:)``: everything libcurl needs, nothing about webhooks.
public struct HTTPRequest: Sendable {
    /// `POST` by default; `GET` and `HEAD` send no body, any other method sends `body` like a POST.
    public var method: String
    public var url: String
    /// Sent in this order; an empty value is sent as an empty header, not dropped.
    public var headers: [HTTPHeader]
    public var body: [UInt8]
    /// The whole exchange, connect included, must finish within this.
    public var timeout: Duration
    /// Limit for establishing the connection (TCP and TLS); `nil` leaves only `timeout`.
    public var connectTimeout: Duration?
    public var tls: TLSOptions
    /// `http://host:port` or `socks5://…`; `nil` connects directly (proxy environment variables are ignored).
    public var proxy: String?
    /// Response headers to keep in ``HTTPResult/headers``, by lowercase name; `nil` keeps all. A
    /// caller that needs one header spares the loop thread a string pair for every other one.
    public var responseHeaders: Set<String>? = nil
    /// Refuse to connect to (or reuse a connection to) an address ``AddressPolicy`` refuses: for
    /// requests whose host came from untrusted input. A refusal fails with kind `.refused`
    /// before a byte of the request is sent.
    public var refusePrivateAddresses = false

    public init(
        method: String = "POST",
        url: String,
        headers: [HTTPHeader] = [],
        body: [UInt8] = [],
        timeout: Duration = .seconds(30),
        connectTimeout: Duration? = nil,
        tls: TLSOptions = TLSOptions(),
        proxy: String? = nil
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
        self.connectTimeout = connectTimeout
        self.tls = tls
        self.proxy = proxy
    }
}
