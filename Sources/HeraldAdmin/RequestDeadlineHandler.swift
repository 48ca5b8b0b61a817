import NIOCore
import NIOHTTPTypes

/// Closes a connection whose request body has not arrived in full within the deadline after its
/// head. Hummingbird's idle timeout covers the head (no part is read until the head is whole) and
/// the gaps between requests, but each body part counts as activity: without this, a body sent a
/// byte every few seconds would hold its connection for ever.
final class RequestDeadlineHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart

    private let timeout: TimeAmount
    private var deadline: Scheduled<Void>?

    init(timeout: Duration) {
        self.timeout = .nanoseconds(Int64(clamping: timeout.roundedUpNanoseconds))
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            deadline?.cancel()
            let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
            deadline = context.eventLoop.scheduleTask(in: timeout) {
                loopBound.value.close(promise: nil)
            }
        case .body:
            break
        case .end:
            deadline?.cancel()
            deadline = nil
        }
        context.fireChannelRead(data)
    }

    func channelInactive(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
    }
}

extension Duration {
    /// Whole nanoseconds, rounded up, saturating.
    var roundedUpNanoseconds: Int64 {
        let (seconds, attoseconds) = components
        guard seconds >= 0, seconds < Int64.max / 1_000_000_000 - 1 else { return seconds < 0 ? 0 : .max }
        return seconds * 1_000_000_000 + (attoseconds + 999_999_999) / 1_000_000_000
    }
}
