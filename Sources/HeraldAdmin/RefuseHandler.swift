import NIOCore

/// Sits first in the pipeline of a connection past the admin listener's cap: as soon as the
/// connection is active it writes a fixed `503` and closes, without reading the request.
final class RefuseHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    static let answer = """
        HTTP/1.1 503 Service Unavailable\r
        Content-Type: application/json\r
        Retry-After: 1\r
        Connection: close\r
        Content-Length: 54\r
        \r
        {"error":"too many admin connections; try again soon"}
        """

    func channelActive(context: ChannelHandlerContext) {
        let buffer = context.channel.allocator.buffer(string: Self.answer)
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.writeAndFlush(NIOAny(buffer)).whenComplete { _ in
            loopBound.value.close(promise: nil)
        }
    }

    /// Drops what the client sends meanwhile: none of it is answered.
    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}
}
