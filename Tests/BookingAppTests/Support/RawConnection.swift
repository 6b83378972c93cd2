import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// A TCP connection that sends exactly the bytes a test writes and keeps everything it receives: for what
/// no HTTP client sends (half a head, half a body, a Content-Length it never honours, silence) and for
/// watching the server close a connection.
final class RawConnection: Sendable {
    /// What has arrived so far, and whether the server has closed the connection.
    struct Received: Sendable {
        var bytes: [UInt8] = []
        var closed = false
        /// When bytes last went either way, and when the server closed it: read on the connection's event
        /// loop as it happens, so a test timing the server does not depend on when its own task runs.
        var lastActivity = ContinuousClock.now
        var closedAt: ContinuousClock.Instant?

        /// How long the connection had been silent when the server closed it.
        var silenceBeforeClose: Duration? { closedAt.map { $0 - lastActivity } }

        var text: String { String(decoding: bytes, as: UTF8.self) }
        /// The status code of the first response, once its status line has arrived.
        var status: Int? {
            let line = text.prefix { $0 != "\r" }
            guard line.hasPrefix("HTTP/1.1 "), line.count >= 12 else { return nil }
            return Int(line.dropFirst(9).prefix(3))
        }
        /// The first response's body, once its head has arrived (what follows the blank line).
        var body: String? {
            text.range(of: "\r\n\r\n").map { String(text[$0.upperBound...]) }
        }
        /// The value of `name` in the first response's head.
        func header(_ name: String) -> String? {
            let head = text.components(separatedBy: "\r\n\r\n").first ?? ""
            return head.components(separatedBy: "\r\n").dropFirst().first { $0.lowercased().hasPrefix(name.lowercased() + ":") }
                .map { String($0.dropFirst(name.count + 1)).trimmingCharacters(in: .whitespaces) }
        }
    }

    private final class Recorder: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let received = NIOLockedValueBox(Received())

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let buffer = unwrapInboundIn(data)
            received.withLockedValue {
                $0.bytes += buffer.readableBytesView
                $0.lastActivity = .now
            }
        }

        func channelInactive(context: ChannelHandlerContext) {
            received.withLockedValue {
                $0.closed = true
                $0.closedAt = .now
            }
        }

        func sent() {
            received.withLockedValue { $0.lastActivity = .now }
        }
    }

    private let channel: any Channel
    private let recorder: Recorder

    private init(channel: any Channel, recorder: Recorder) {
        self.channel = channel
        self.recorder = recorder
    }

    /// `group`: the loops the client side runs on (a test timing the server passes the server's own, so
    /// the shared ones, busy with the rest of the suite, cannot delay what it sends).
    /// `first`: bytes written the moment the connection is up, on its event loop.
    static func open(port: Int, on group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
                     sending first: String? = nil) async throws -> RawConnection {
        let recorder = Recorder()
        let channel = try await ClientBootstrap(group: group)
            .channelInitializer { $0.pipeline.addHandler(recorder) }
            .connect(host: "127.0.0.1", port: port)
            .flatMap { channel -> EventLoopFuture<any Channel> in
                recorder.sent()
                guard let first else { return channel.eventLoop.makeSucceededFuture(channel) }
                return channel.writeAndFlush(ByteBuffer(string: first)).map {
                    recorder.sent()
                    return channel
                }
            }.get()
        return RawConnection(channel: channel, recorder: recorder)
    }

    func send(_ text: String) async throws {
        try await send(Array(text.utf8))
    }

    func send(_ bytes: [UInt8]) async throws {
        try await channel.writeAndFlush(ByteBuffer(bytes: bytes))
        recorder.sent()
    }

    /// Sends `text` `times` times, one every `interval`, scheduled on the connection's event loop (so the
    /// gaps are the server's to see, whenever the test's own task runs); returns after the last.
    func trickle(_ text: String, every interval: TimeAmount, times: Int) async throws {
        let channel = self.channel, recorder = self.recorder
        var last: EventLoopFuture<Void>?
        for index in 1...times {
            last = channel.eventLoop.scheduleTask(in: interval * Int64(index)) {
                channel.writeAndFlush(ByteBuffer(string: text), promise: nil)
                recorder.sent()
            }.futureResult
        }
        try await last?.get()
    }

    /// Waits until `done` holds of what has arrived, or the server closes the connection, or `limit`
    /// passes; returns what has arrived.
    @discardableResult
    func wait(upTo limit: Duration, until done: (Received) -> Bool = { _ in false }) async throws -> Received {
        let deadline = ContinuousClock.now + limit
        while true {
            let received = recorder.received.withLockedValue { $0 }
            if done(received) || received.closed || ContinuousClock.now >= deadline { return received }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    /// Waits for a whole first response (a status line, a head and as many body bytes as it declares).
    func response(within limit: Duration = .seconds(120)) async throws -> Received {
        try await wait(upTo: limit) { received in
            guard let body = received.body else { return false }
            return body.utf8.count >= (received.header("Content-Length").flatMap(Int.init) ?? 0)
        }
    }

    /// Opens a connection, sends `bytes`, waits for the first response and closes the connection.
    static func answer(to bytes: [UInt8], port: Int) async throws -> Received {
        let connection = try await open(port: port)
        try await connection.send(bytes)
        let answer = try await connection.response()
        await connection.close()
        return answer
    }

    static func answer(to text: String, port: Int) async throws -> Received {
        try await answer(to: Array(text.utf8), port: port)
    }

    func close() async {
        try? await channel.close()
    }
}
