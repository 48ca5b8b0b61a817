#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// A small HTTP/1.1 server on POSIX sockets, for `herald listen` and for tests that need a real receiver.
///
/// One thread accepts; each connection gets its own thread with blocking I/O, keep-alive and pipelining.
/// Request bodies may be sized by `Content-Length` or chunked. The handler runs on the connection's thread.
public final class HTTPServer: Sendable {
    private let core: HTTPServerCore

    /// The host the server listens on.
    public let host: String
    /// The bound port; the ephemeral port the system chose when `port` was 0.
    public let port: Int

    /// Binds, listens and starts accepting before returning.
    ///
    /// - Parameters:
    ///   - host: a numeric address or a name that resolves (`127.0.0.1`, `::1`, `0.0.0.0`, `localhost`).
    ///   - port: 0 picks a free ephemeral port.
    ///   - maxBodyBytes: larger request bodies are answered with 413 and the connection is closed.
    ///   - idleTimeout: a connection on which nothing arrives for this long is closed; zero waits forever.
    public init(
        host: String = "127.0.0.1",
        port: Int = 0,
        maxBodyBytes: Int = 64 * 1024 * 1024,
        idleTimeout: Duration = .seconds(75),
        handler: @escaping @Sendable (ReceivedRequest) -> ServerResponse
    ) throws(HTTPServerError) {
        core = try HTTPServerCore(
            host: host, port: port, maxBodyBytes: maxBodyBytes, idleTimeout: idleTimeout, handler: handler)
        self.host = host
        self.port = core.port
    }

    deinit {
        core.stop()
    }

    /// `http://host:port`, with IPv6 addresses bracketed.
    public var baseURL: String {
        host.contains(":") ? "http://[\(host)]:\(port)" : "http://\(host):\(port)"
    }

    /// Requests read completely (head and body) and handed to the handler.
    public var requestsReceived: Int { core.requestsReceived.load(ordering: .relaxed) }
    /// Connections accepted since start.
    public var connectionsAccepted: Int { core.connectionsAccepted.load(ordering: .relaxed) }
    /// Connections currently open.
    public var openConnections: Int { core.openConnectionCount }

    /// Stops accepting, frees the port and shuts down every connection (interrupting delays); returns without waiting
    /// for connection threads, which close their sockets on their own (``openConnections`` drops to 0 soon after).
    public func stop() {
        core.stop()
    }
}
