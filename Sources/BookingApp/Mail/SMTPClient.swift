import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization

/// Where mail goes (`SMTP_URL`): `smtp://user:pass@host:port` (STARTTLS when the server offers it, or
/// always with `requireTLS`), `smtps://…` (TLS from the first byte).
struct SMTPServer: Sendable, Equatable {
    enum Security: Sendable, Equatable {
        /// STARTTLS when offered (required with `requireTLS`).
        case startTLS
        /// TLS from the first byte (`smtps://`, port 465 by default).
        case implicitTLS
    }

    let host: String
    let port: Int
    let security: Security
    let requireTLS: Bool
    let username: String?
    let password: String?

    /// Reads `smtp://` or `smtps://` URLs; nil for anything else.
    init?(url text: String, requireTLS: Bool) {
        guard let url = URLComponents(string: text), let scheme = url.scheme?.lowercased(), let host = url.host, !host.isEmpty,
              scheme == "smtp" || scheme == "smtps", url.path.isEmpty || url.path == "/" else { return nil }
        self.host = host
        security = scheme == "smtps" ? .implicitTLS : .startTLS
        port = url.port ?? (scheme == "smtps" ? 465 : 25)
        self.requireTLS = requireTLS || scheme == "smtps"
        username = url.user?.removingPercentEncoding
        password = url.password?.removingPercentEncoding
    }

    init(host: String, port: Int, security: Security, requireTLS: Bool, username: String? = nil, password: String? = nil) {
        self.host = host
        self.port = port
        self.security = security
        self.requireTLS = requireTLS
        self.username = username
        self.password = password
    }
}

/// Why a message was not handed over.
enum SMTPFailure: Error, Equatable, CustomStringConvertible {
    /// A 5xx reply: the server will not take this message; retrying is pointless.
    case permanent(code: Int, text: String)
    /// A 4xx reply, a lost connection or a time-out: try again later.
    case transient(String)
    /// The server offers no TLS and plain text is refused (`SMTP_REQUIRE_TLS`).
    case tlsUnavailable

    var isPermanent: Bool {
        switch self {
        case .permanent, .tlsUnavailable: true
        case .transient: false
        }
    }

    var description: String {
        switch self {
        case .permanent(let code, let text): "\(code) \(text)"
        case .transient(let reason): reason
        case .tlsUnavailable: "the server offers no STARTTLS and SMTP_REQUIRE_TLS is set"
        }
    }
}

/// A small, strict SMTP client (RFC 5321) on SwiftNIO: one connection per message, every step bounded by
/// `stepTimeout` and the whole dialogue by `dialogueTimeout`, STARTTLS or implicit TLS (NIOSSL, the server's certificate checked unless
/// `trustRoots` says otherwise), AUTH PLAIN when the URL has a user, dot-stuffing, and 8BITMIME not
/// needed (bodies are quoted-printable ASCII).
struct SMTPClient: Sendable {
    let server: SMTPServer
    let group: any EventLoopGroup
    let stepTimeout: TimeAmount
    /// The whole dialogue after connecting: a server that answers every step just in time is still cut off.
    let dialogueTimeout: TimeAmount
    /// The name this host gives in EHLO.
    let localName: String
    /// For tests: the certificate roots the server's certificate must chain to (default: the system's).
    var trustRoots: NIOSSLTrustRoots = .default
    var verifyHostname = true

    init(server: SMTPServer, group: any EventLoopGroup, stepTimeout: TimeAmount = .seconds(10), dialogueTimeout: TimeAmount = .seconds(30),
         localName: String = "localhost") {
        self.server = server
        self.group = group
        self.stepTimeout = stepTimeout
        self.dialogueTimeout = dialogueTimeout
        self.localName = localName
    }

    /// The longest ``send(_:from:to:)`` takes: connecting, then the dialogue.
    var attemptLimit: Duration {
        .nanoseconds(stepTimeout.nanoseconds + dialogueTimeout.nanoseconds)
    }

    /// Hands `message` to the server for `recipient`, from `sender` (the envelope addresses).
    func send(_ message: String, from sender: String, to recipient: String) async throws(SMTPFailure) {
        let session: SMTPSession
        do {
            session = try await connect()
        } catch let failure as SMTPFailure {
            throw failure
        } catch {
            throw .transient("cannot connect to \(server.host):\(server.port): \(error)")
        }
        let cutOff = session.channel.eventLoop.scheduleTask(in: dialogueTimeout) { [replies = session.replies, channel = session.channel] in
            replies.fail(SMTPFailure.transient("the dialogue took longer than \(dialogueTimeout.nanoseconds / 1_000_000_000) s"))
            channel.close(promise: nil)
        }
        defer { cutOff.cancel() }
        do {
            try await session.dialogue(message, from: sender, to: recipient, client: self)
            await session.close()
        } catch {
            await session.close()
            if let failure = error as? SMTPFailure { throw failure }
            throw .transient("\(error)")
        }
    }

    func tlsHandler() throws -> NIOSSLClientHandler {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.trustRoots = trustRoots
        if !verifyHostname { configuration.certificateVerification = .noHostnameVerification }
        // An address is checked against the certificate's IP names (and sent without SNI, which names hosts only).
        let hostname = IPAddressRange.isAddress(server.host) ? nil : server.host
        return try NIOSSLClientHandler(context: try NIOSSLContext(configuration: configuration), serverHostname: hostname)
    }

    private func connect() async throws -> SMTPSession {
        let replies = ReplyReader()
        let implicit = server.security == .implicitTLS
        let tls = implicit ? try tlsHandler() : nil
        let channel = try await ClientBootstrap(group: group)
            .connectTimeout(stepTimeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls { try channel.pipeline.syncOperations.addHandler(tls) }
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(LineDecoder()))
                    try channel.pipeline.syncOperations.addHandler(replies)
                }
            }
            .connect(host: server.host, port: server.port).get()
        return SMTPSession(channel: channel, replies: replies, timeout: stepTimeout)
    }
}

/// One connection's dialogue.
final class SMTPSession: Sendable {
    let channel: any Channel
    let replies: ReplyReader
    let timeout: TimeAmount

    init(channel: any Channel, replies: ReplyReader, timeout: TimeAmount) {
        self.channel = channel
        self.replies = replies
        self.timeout = timeout
    }

    struct Reply {
        let code: Int
        let lines: [String]
    }

    func dialogue(_ message: String, from sender: String, to recipient: String, client: SMTPClient) async throws {
        try expect(await reply(), 220)
        let extensions = try await hello(client.localName)
        if client.server.security == .startTLS {
            if extensions.contains("STARTTLS") {
                try expect(await command("STARTTLS"), 220)
                try await channel.pipeline.addHandler(try client.tlsHandler(), position: .first).get()
                _ = try await hello(client.localName)
            } else if client.server.requireTLS {
                _ = try? await command("QUIT")
                throw SMTPFailure.tlsUnavailable
            }
        }
        if let user = client.server.username {
            let token = Data(([0] + Array(user.utf8) + [0] + Array((client.server.password ?? "").utf8))).base64EncodedString()
            try expect(await command("AUTH PLAIN \(token)"), 235)
        }
        try expect(await command("MAIL FROM:<\(sender)>"), 250)
        try expect(await command("RCPT TO:<\(recipient)>"), 250, 251)
        try expect(await command("DATA"), 354)
        // Dot-stuffing: a line that starts with "." gets another; the message ends with CRLF "." CRLF.
        var body = message.hasSuffix("\r\n") ? message : message + "\r\n"
        if body.hasPrefix(".") { body = "." + body }
        body = body.replacingOccurrences(of: "\r\n.", with: "\r\n..")
        try expect(await send(body + ".\r\n"), 250)
        _ = try? await command("QUIT")
    }

    /// EHLO, and the extensions the server lists (upper case, first word of each line after the greeting).
    private func hello(_ name: String) async throws -> Set<String> {
        let answer = try await command("EHLO \(name)")
        try expect(answer, 250)
        return Set(answer.lines.dropFirst().compactMap { $0.split(separator: " ").first.map { $0.uppercased() } })
    }

    private func command(_ line: String) async throws -> Reply {
        try await send(line + "\r\n")
    }

    private func send(_ text: String) async throws -> Reply {
        try await channel.writeAndFlush(ByteBuffer(string: text)).get()
        return try await reply()
    }

    /// The next reply, or a transient failure after `timeout` (the connection is closed then).
    private func reply() async throws -> Reply {
        let deadline = channel.eventLoop.scheduleTask(in: timeout) { [replies] in replies.fail(SMTPFailure.transient("the server did not answer in time")) }
        defer { deadline.cancel() }
        return try await replies.next()
    }

    private func expect(_ reply: Reply, _ codes: Int...) throws {
        guard !codes.contains(reply.code) else { return }
        let text = reply.lines.joined(separator: " ")
        throw reply.code >= 500 ? SMTPFailure.permanent(code: reply.code, text: text) : SMTPFailure.transient("\(reply.code) \(text)")
    }

    func close() async {
        try? await channel.close().get()
    }
}

/// Splits the byte stream into lines (CRLF or LF), each at most 4,096 bytes.
struct LineDecoder: ByteToMessageDecoder {
    typealias InboundOut = String

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let end = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) else {
            if buffer.readableBytes > 4096 { throw SMTPFailure.transient("a reply line over 4,096 bytes") }
            return .needMoreData
        }
        let length = end - buffer.readerIndex
        var line = buffer.readString(length: length) ?? ""
        buffer.moveReaderIndex(forwardBy: 1)
        if line.hasSuffix("\r") { line.removeLast() }
        context.fireChannelRead(wrapInboundOut(line))
        return .continue
    }
}

/// Gathers reply lines into replies (`250-first`, `250 last`) and hands them to the one waiting reader.
final class ReplyReader: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = String

    private struct Queue {
        var ready: [Result<SMTPSession.Reply, any Error>] = []
        var waiting: CheckedContinuation<SMTPSession.Reply, any Error>?
    }

    /// The lines of the reply being read (on the channel's event loop only).
    private var lines: [String] = []
    private let queue = Mutex(Queue())

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let line = unwrapInboundIn(data)
        let bytes = Array(line.utf8)
        guard bytes.count >= 3, let code = Int(String(decoding: bytes.prefix(3), as: UTF8.self)) else {
            deliver(.failure(SMTPFailure.transient("an answer that is not SMTP: \(line.prefix(80))")))
            return
        }
        lines.append(bytes.count > 4 ? String(decoding: bytes.dropFirst(4), as: UTF8.self) : "")
        if bytes.count == 3 || bytes[3] == UInt8(ascii: " ") {
            let reply = SMTPSession.Reply(code: code, lines: lines)
            lines = []
            deliver(.success(reply))
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(SMTPFailure.transient("the server closed the connection"))
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(SMTPFailure.transient("\(error)"))
        context.close(promise: nil)
    }

    func fail(_ error: any Error) {
        deliver(.failure(error))
    }

    private func deliver(_ result: Result<SMTPSession.Reply, any Error>) {
        let continuation = queue.withLock { queue -> CheckedContinuation<SMTPSession.Reply, any Error>? in
            if let waiting = queue.waiting {
                queue.waiting = nil
                return waiting
            }
            queue.ready.append(result)
            return nil
        }
        continuation?.resume(with: result)
    }

    func next() async throws -> SMTPSession.Reply {
        try await withCheckedThrowingContinuation { continuation in
            let result = queue.withLock { queue -> Result<SMTPSession.Reply, any Error>? in
                if !queue.ready.isEmpty { return queue.ready.removeFirst() }
                queue.waiting = continuation
                return nil
            }
            if let result { continuation.resume(with: result) }
        }
    }
}
