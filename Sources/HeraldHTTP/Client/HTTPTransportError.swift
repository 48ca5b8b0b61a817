/// Why an exchange produced no (complete) response: a kind to decide on, libcurl's code and its message.
public struct HTTPTransportError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// The TCP connection could not be made (refused, unreachable).
        case connect
        /// The total or connect timeout expired.
        case timeout
        /// Handshake or certificate verification failed, or a TLS file could not be used.
        case tls
        /// The host (or proxy) name did not resolve.
        case dns
        /// The calling task was cancelled or the client shut down before the exchange finished.
        case cancelled
        /// The request could not be expressed (bad URL, header with a line break, unknown method syntax).
        case invalidRequest
        /// The destination's address is one the request may not reach (``HTTPRequest/refusePrivateAddresses``).
        case refused
        /// Any other libcurl failure, e.g. 52 (server closed without answering) or 56 (receive error).
        case other(Int)
    }

    public var kind: Kind
    /// libcurl's `CURLcode`, or 0 for failures found before libcurl ran.
    public var code: Int
    /// libcurl's error buffer, or its generic text when the buffer was empty.
    public var message: String

    public init(kind: Kind, code: Int, message: String) {
        self.kind = kind
        self.code = code
        self.message = message
    }

    public var description: String {
        "\(kind) (curl \(code)): \(message)"
    }
}
