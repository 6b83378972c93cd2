import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Testing
@testable import BookingApp

/// The SMTP client against small scripted servers on loopback (groundwork for notifications): the dialogue,
/// dot-stuffing, AUTH, and how each kind of failure is told apart (permanent 5xx, transient 4xx, a
/// connection dropped mid-DATA, a server that never answers: each bounded, none hanging).
@Suite("SMTP client")
struct SMTPClientTests {
    /// A scripted SMTP server: answers each line the client sends by `answer` (nil: say nothing), keeps
    /// what it received.
    /// A scripted SMTP server: what it answers to each line, and what each connection said.
    final class Script: Sendable {
        let greeting: String?
        /// A tarpit: instead of its greeting, the server sends a line of a greeting that never ends every
        /// 100 ms, so that no step ever waits long for a line and yet no reply ever completes.
        let drip: Bool
        let answer: @Sendable (String, _ inData: Bool) -> String?
        /// Each connection's lines, in the order the connections opened.
        let connections = NIOLockedValueBox<[[String]]>([])

        init(greeting: String? = "220 test ready", drip: Bool = false, answer: @escaping @Sendable (String, Bool) -> String?) {
            self.greeting = greeting
            self.drip = drip
            self.answer = answer
        }

        /// Every line received, connection after connection.
        var received: [String] { connections.withLockedValue { $0.flatMap { $0 } } }

        /// The handler of one connection.
        func connection() -> Connection {
            Connection(script: self, index: connections.withLockedValue { $0.append([]); return $0.count - 1 })
        }

        final class Connection: ChannelInboundHandler {
            typealias InboundIn = String
            typealias OutboundOut = ByteBuffer

            let script: Script
            let index: Int
            private var inData = false

            init(script: Script, index: Int) {
                self.script = script
                self.index = index
            }

            func channelActive(context: ChannelHandlerContext) {
                if script.drip {
                    let channel = context.channel
                    context.eventLoop.scheduleRepeatedTask(initialDelay: .milliseconds(100), delay: .milliseconds(100)) { task in
                        guard channel.isActive else { return task.cancel() }
                        channel.writeAndFlush(ByteBuffer(string: "220-still here\r\n"), promise: nil)
                    }
                } else if let greeting = script.greeting {
                    context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: greeting + "\r\n")), promise: nil)
                }
            }

            func channelRead(context: ChannelHandlerContext, data: NIOAny) {
                let line = unwrapInboundIn(data)
                script.connections.withLockedValue { $0[index].append(line) }
                let wasData = inData
                if inData, line == "." { inData = false }
                if !wasData, line == "DATA" { inData = true }
                guard let reply = script.answer(line, wasData && line != ".") else { return }
                if reply == "<close>" {
                    context.close(promise: nil)
                    return
                }
                context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: reply + "\r\n")), promise: nil)
            }
        }
    }

    /// The usual answers: 250 to everything, 354 to DATA, 221 to QUIT, nothing to the message's lines.
    static func usual(_ line: String, _ inData: Bool) -> String? {
        if inData { return nil }
        if line.hasPrefix("EHLO") { return "250-test\r\n250-AUTH PLAIN\r\n250 8BITMIME" }
        if line == "DATA" { return "354 go ahead" }
        if line == "QUIT" { return "221 bye" }
        if line.hasPrefix("AUTH") { return "235 ok" }
        return "250 ok"
    }

    static func withServer(_ script: Script, _ body: (Int, any EventLoopGroup) async throws -> Void) async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let server = try await ServerBootstrap(group: group)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(LineDecoder()))
                    try channel.pipeline.syncOperations.addHandler(script.connection())
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        do {
            try await body(server.localAddress?.port ?? 0, group)
        } catch {
            try? await server.close().get()
            try? await group.shutdownGracefully()
            throw error
        }
        try await server.close().get()
        try await group.shutdownGracefully()
    }

    /// A client of the scripted server; its steps wait long (a busy machine never fails a test that
    /// expects an answer) unless a test is about the time-out.
    static func client(_ port: Int, _ group: any EventLoopGroup, user: String? = nil, timeout: TimeAmount = .seconds(120),
                       dialogueTimeout: TimeAmount = .seconds(300)) -> SMTPClient {
        SMTPClient(server: SMTPServer(host: "127.0.0.1", port: port, security: .startTLS, requireTLS: false, username: user, password: "pw"),
                   group: group, stepTimeout: timeout, dialogueTimeout: dialogueTimeout)
    }

    static let message = "Subject: hi\r\n\r\n.one\r\ntwo\r\n..three\r\n"

    @Test("the dialogue in order, AUTH PLAIN when the URL has a user, and every line that starts with a dot doubled")
    func dialogue() async throws {
        let script = Script(answer: Self.usual)
        try await Self.withServer(script) { port, group in
            try await Self.client(port, group, user: "ada").send(Self.message, from: "bookings@example.com", to: "ada@example.com")
        }
        let lines = script.received
        #expect(lines.first == "EHLO localhost")
        #expect(lines.contains("AUTH PLAIN " + Data("\0ada\0pw".utf8).base64EncodedString()))
        let from = try #require(lines.firstIndex(of: "MAIL FROM:<bookings@example.com>"))
        #expect(lines[from + 1] == "RCPT TO:<ada@example.com>" && lines[from + 2] == "DATA")
        #expect(Array(lines[(from + 3)...].prefix(6)) == ["Subject: hi", "", "..one", "two", "...three", "."], "dot-stuffed, ended by a lone dot")
        #expect(lines.last == "QUIT")
    }

    @Test("a 5xx is permanent, a 4xx transient, and neither sends the message")
    func refusals() async throws {
        for (reply, permanent) in [("550 no such user", true), ("451 try later", false)] {
            let script = Script { line, inData in line.hasPrefix("RCPT") ? reply : Self.usual(line, inData) }
            try await Self.withServer(script) { port, group in
                do {
                    try await Self.client(port, group).send(Self.message, from: "a@example.com", to: "b@example.com")
                    Issue.record("\(reply) was taken as sent")
                } catch let error as SMTPFailure {
                    #expect(error.isPermanent == permanent, "\(reply): \(error)")
                }
            }
            #expect(!script.received.contains("DATA"))
        }
    }

    @Test("a server that drops the connection mid-DATA, or never answers, is a transient failure, bounded by the step time-out")
    func lostServers() async throws {
        let dropping = Script { line, inData in inData ? "<close>" : Self.usual(line, inData) }
        try await Self.withServer(dropping) { port, group in
            await #expect(throws: SMTPFailure.self) {
                try await Self.client(port, group).send(Self.message, from: "a@example.com", to: "b@example.com")
            }
        }
        let silent = Script(greeting: nil) { _, _ in nil }
        try await Self.withServer(silent) { port, group in
            do {
                try await Self.client(port, group, timeout: .seconds(1)).send(Self.message, from: "a@example.com", to: "b@example.com")
                Issue.record("a silent server was taken as having accepted the message")
            } catch let error as SMTPFailure {
                #expect(!error.isPermanent && "\(error)".contains("did not answer"), "\(error)")
            }
        }
    }

    @Test("a server that answers a line at a time and never finishes a reply is cut off by the dialogue's time-out, not held forever")
    func tarpit() async throws {
        let tarpit = Script(drip: true) { _, _ in nil }
        try await Self.withServer(tarpit) { port, group in
            do {
                try await Self.client(port, group, dialogueTimeout: .seconds(1)).send(Self.message, from: "a@example.com", to: "b@example.com")
                Issue.record("a tarpit was taken as having accepted the message")
            } catch let error as SMTPFailure {
                #expect(!error.isPermanent && "\(error)".contains("the dialogue took longer than 1 s"), "\(error)")
            }
        }
        #expect(tarpit.received.isEmpty, "the greeting never completed, so nothing was said")
    }

    @Test("without STARTTLS on offer, SMTP_REQUIRE_TLS refuses to send in plain text")
    func requireTLS() async throws {
        let script = Script(answer: Self.usual)
        try await Self.withServer(script) { port, group in
            let client = SMTPClient(server: SMTPServer(host: "127.0.0.1", port: port, security: .startTLS, requireTLS: true), group: group,
                                    stepTimeout: .seconds(120))
            await #expect(throws: SMTPFailure.tlsUnavailable) {
                try await client.send(Self.message, from: "a@example.com", to: "b@example.com")
            }
        }
        #expect(!script.received.contains { $0.hasPrefix("MAIL") })
        #expect(SMTPServer(url: "smtps://u%40x:p@mail.example.com", requireTLS: false)
                == SMTPServer(host: "mail.example.com", port: 465, security: .implicitTLS, requireTLS: true, username: "u@x", password: "p"))
        #expect(SMTPServer(url: "smtp://mail.example.com:2525", requireTLS: false)?.port == 2525)
        #expect(SMTPServer(url: "http://mail.example.com", requireTLS: false) == nil)
    }
}
