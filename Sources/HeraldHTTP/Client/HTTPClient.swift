import Synchronization

/// Sends HTTP requests through one libcurl multi handle driven by a dedicated thread.
///
/// `send(_:)` may be called from any task; connections are kept alive and reused across requests
/// (HTTP/2 is negotiated over TLS where the server offers it). Redirects are returned, not followed.
public final class HTTPClient: Sendable {
    /// Client-wide limits with documented defaults.
    public struct Configuration: Sendable {
        /// Response bytes kept in ``HTTPResult/body``; the rest is read and discarded so the connection stays usable.
        public var maxResponseBytes: Int = 64 * 1024
        /// Open connections per host; 0 means no limit (concurrency is the caller's to bound).
        public var maxConnectionsPerHost: Int = 0
        /// Idle connections kept open for reuse (libcurl's default shrinks to 4 per active transfer, so a lull would
        /// close them); libcurl still closes connections idle for about two minutes.
        public var maxCachedConnections: Int = 256
        /// Idle libcurl easy handles kept for reuse.
        public var maxIdleHandles: Int = 256

        public init(
            maxResponseBytes: Int = 64 * 1024,
            maxConnectionsPerHost: Int = 0,
            maxCachedConnections: Int = 256,
            maxIdleHandles: Int = 256
        ) {
            self.maxResponseBytes = maxResponseBytes
            self.maxConnectionsPerHost = maxConnectionsPerHost
            self.maxCachedConnections = maxCachedConnections
            self.maxIdleHandles = maxIdleHandles
        }
    }

    private let loop: CurlMultiLoop
    private let nextID = Atomic<UInt64>(0)

    /// Starts the loop thread. Fails only when libcurl or the OS cannot provide a multi handle or a thread.
    public init(configuration: Configuration = Configuration()) throws(HTTPTransportError) {
        loop = try CurlMultiLoop(configuration: configuration)
    }

    deinit {
        loop.shutdown()
    }

    /// Performs `request` and returns its outcome; transport failures are reported in the result, never thrown.
    ///
    /// Cancelling the calling task aborts the transfer and yields a ``HTTPTransportError/Kind/cancelled`` error.
    public func send(_ request: HTTPRequest) async -> HTTPResult {
        let id = nextID.wrappingAdd(1, ordering: .relaxed).newValue
        let loop = self.loop
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                loop.submit(request, id: id, continuation: .resume(continuation))
            }
        } onCancel: {
            loop.cancel(id)
        }
    }

    /// Performs `request` and calls `completion` with its outcome on the client's loop thread, as
    /// soon as the transfer ends: no task, no hop to another thread. `completion` must be quick
    /// and must not block (it may call `send` again); transfers it starts run in the same loop.
    public func send(_ request: HTTPRequest, completion: @escaping @Sendable (HTTPResult) -> Void) {
        let id = nextID.wrappingAdd(1, ordering: .relaxed).newValue
        loop.submit(request, id: id, continuation: .call(completion))
    }

    /// Aborts pending and in-flight transfers (they complete as cancelled) and ends the loop thread.
    ///
    /// Later `send` calls complete immediately as cancelled. Safe to call more than once.
    public func shutdown() {
        loop.shutdown()
    }
}
