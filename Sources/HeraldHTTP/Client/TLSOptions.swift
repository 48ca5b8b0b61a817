/// Per-request TLS settings; the defaults verify the peer against the system CA bundle.
public struct TLSOptions: Sendable, Hashable {
    /// PEM bundle to verify the server with instead of the system bundle.
    public var caFile: String?
    /// PEM client certificate for mutual TLS.
    public var clientCert: String?
    /// PEM private key for `clientCert`.
    public var clientKey: String?
    /// Skips certificate and host-name verification. For tests against self-signed servers only.
    public var insecureSkipVerify: Bool

    public init(
        caFile: String? = nil,
        clientCert: String? = nil,
        clientKey: String? = nil,
        insecureSkipVerify: Bool = false
    ) {
        self.caFile = caFile
        self.clientCert = clientCert
        self.clientKey = clientKey
        self.insecureSkipVerify = insecureSkipVerify
    }
}
