import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// A hostile webhook receiver on 127.0.0.1: to every request it answers `200` with `Content-Length:
/// 1000`, then sends the body one byte every `every`, or stops after `closeAfter` bytes and closes. It
/// records what it saw: connections, how many were open at once at most, and how many body bytes each
/// got out before the other side closed it.
final class DribblingServer: Sendable {
    struct Seen: Sendable {
        var connections = 0
        var open = 0
        var mostOpenAtOnce = 0
        /// Body bytes sent on each connection that has closed, in the order they closed.
        var sentBeforeClose: [Int] = []
    }

    let port: Int
    private let channel: any Channel
    private let seen: NIOLockedValueBox<Seen>

    var snapshot: Seen { seen.withLockedValue { $0 } }

    private init(port: Int, channel: any Channel, seen: NIOLockedValueBox<Seen>) {
        self.port = port
        self.channel = channel
        self.seen = seen
    }

    static func start(every interval: TimeAmount = .milliseconds(100), closeAfter: Int? = nil) async throws -> DribblingServer {
        let seen = NIOLockedValueBox(Seen())
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(Handler(seen: seen, interval: interval, closeAfter: closeAfter))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return DribblingServer(port: channel.localAddress?.port ?? 0, channel: channel, seen: seen)
    }

    func stop() async throws {
        try await channel.close()
    }

    var url: String { "http://127.0.0.1:\(port)/hook" }

    private final class Handler: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        let seen: NIOLockedValueBox<Seen>
        let interval: TimeAmount
        let closeAfter: Int?
        var head = ""
        var answering = false
        var sent = 0
        var timer: RepeatedTask?

        init(seen: NIOLockedValueBox<Seen>, interval: TimeAmount, closeAfter: Int?) {
            self.seen = seen
            self.interval = interval
            self.closeAfter = closeAfter
        }

        func channelActive(context: ChannelHandlerContext) {
            seen.withLockedValue { seen in
                seen.connections += 1
                seen.open += 1
                seen.mostOpenAtOnce = max(seen.mostOpenAtOnce, seen.open)
            }
        }

        func channelInactive(context: ChannelHandlerContext) {
            timer?.cancel()
            let sent = self.sent
            seen.withLockedValue { seen in
                seen.open -= 1
                seen.sentBeforeClose.append(sent)
            }
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            guard !answering else { return }
            head += String(buffer: unwrapInboundIn(data))
            guard head.contains("\r\n\r\n") else { return }
            answering = true
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")), promise: nil)
            let bound = NIOLoopBound((context, self), eventLoop: context.eventLoop)
            timer = context.eventLoop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { task in
                let (context, handler) = bound.value
                if let limit = handler.closeAfter, handler.sent >= limit {
                    task.cancel()
                    context.close(promise: nil)
                    return
                }
                guard handler.sent < 1000 else { task.cancel(); return }
                handler.sent += 1
                context.writeAndFlush(handler.wrapOutboundOut(ByteBuffer(string: "x")), promise: nil)
            }
        }
    }
}
