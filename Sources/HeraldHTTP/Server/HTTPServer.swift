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
///
/// Hostile clients cost bounded resources: at most `maxConnections` connections (so at most that many threads) are
/// served and the rest answered `503` by the accept thread; a body's buffer grows with the bytes that arrive, not
/// with the length a client declares; and a request must arrive within `requestTimeout` of its first byte.
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
    ///   - idleTimeout: a connection on which no request begins for this long is closed, as is one that does not take
    ///     an answer for this long; zero waits forever.
    ///   - requestTimeout: a request whose head and body have not all arrived this long after its first byte is
    ///     answered `408` and its connection closed (a slowloris client); zero sets no deadline.
    ///   - maxConnections: connections served at once, each on its own thread; one more is answered `503` with
    ///     `Retry-After: 1` and closed at once.
    public init(
        host: String = "127.0.0.1",
        port: Int = 0,
        maxBodyBytes: Int = 64 * 1024 * 1024,
        idleTimeout: Duration = .seconds(75),
        requestTimeout: Duration = .seconds(30),
        maxConnections: Int = 512,
        handler: @escaping @Sendable (ReceivedRequest) -> ServerResponse
    ) throws(HTTPServerError) {
        core = try HTTPServerCore(
            host: host, port: port, maxBodyBytes: maxBodyBytes, idleTimeout: idleTimeout,
            requestTimeout: requestTimeout, maxConnections: maxConnections, handler: handler)
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
    /// Connections answered `503` because `maxConnections` were open.
    public var connectionsRefused: Int { core.connectionsRefused.load(ordering: .relaxed) }
    /// Connections currently open.
    public var openConnections: Int { core.openConnectionCount }

    /// Stops accepting, frees the port and shuts down every connection (interrupting delays); returns without waiting
    /// for connection threads, which close their sockets on their own (``openConnections`` drops to 0 soon after).
    public func stop() {
        core.stop()
    }
}
