import Hummingbird
import HummingbirdCore
import Logging
import NIOCore

/// Hummingbird's HTTP/1.1 child channel with the admin listener's connection cap in front: a
/// connection past ``ConnectionGate/limit`` gets ``RefuseHandler``'s `503` instead of being served.
struct AdminChildChannel: ServerChildChannel {
    typealias Value = HTTP1Channel.Value

    let http1: HTTP1Channel
    let gate: ConnectionGate

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        if gate.admit() {
            let gate = gate
            channel.closeFuture.whenComplete { _ in gate.release() }
        } else {
            do {
                try channel.pipeline.syncOperations.addHandler(RefuseHandler())
            } catch {
                return channel.eventLoop.makeFailedFuture(error)
            }
        }
        return http1.setup(channel: channel, logger: logger)
    }

    func handle(value: Value, logger: Logger) async {
        await http1.handle(value: value, logger: logger)
    }
}

extension HTTPServerBuilder {
    /// HTTP/1.1 with the admin listener's limits: the connection cap, Hummingbird's idle timeout
    /// (which also bounds a slow head) and ``RequestDeadlineHandler`` for slow bodies.
    static func admin(limits: AdminLimits, gate: ConnectionGate) -> HTTPServerBuilder {
        HTTPServerBuilder { responder in
            var configuration = HTTP1Channel.Configuration(
                additionalChannelHandlers: [RequestDeadlineHandler(timeout: limits.requestTimeout)],
                idleTimeout: .nanoseconds(Int64(clamping: limits.idleTimeout.roundedUpNanoseconds)))
            configuration.httpDecoder = .init(
                maxHeaderFieldSize: limits.maxHeadBytes, maxHeaderListSize: limits.maxHeadBytes, maxHeaderFieldCount: 100)
            return AdminChildChannel(http1: HTTP1Channel(responder: responder, configuration: configuration), gate: gate)
        }
    }
}
