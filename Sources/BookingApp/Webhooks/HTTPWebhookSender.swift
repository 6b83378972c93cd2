import AsyncHTTPClient
import AsyncPrimitives
import BookingDomain
import Foundation
import Tracing
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization
#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// Sends webhooks with AsyncHTTPClient: a signed POST of the event as JSON, never following a redirect.
/// A whole attempt (connecting, sending, the status, the headers and the entire answer body, at most
/// 64 KB) ends within `timeout`: a receiver that answers slowly, or dribbles its body, fails the attempt
/// at that moment, and an answer whose body stops short of what it declared is a failure too.
///
/// Unless `allowPrivateNetworks`, the host is resolved first and refused if any of its addresses is
/// loopback, private, link-local (cloud metadata lives there), unique-local, multicast or otherwise not
/// on the public internet; the request then goes to exactly the address that was checked (the client's
/// DNS override pins it, TLS still verifies the host name), so a name that resolves differently a moment
/// later cannot smuggle the request inside.
struct HTTPWebhookSender: WebhookSender {
    let eventLoopGroup: any EventLoopGroup
    let timeout: TimeInterval
    let allowPrivateNetworks: Bool
    /// Makes each attempt a client span, carried to the receiver in `traceparent`; nil: none.
    var tracer: (any Tracer)? = nil

    /// Addresses a webhook may not reach unless `WEBHOOK_ALLOW_PRIVATE_NETWORKS=true`.
    static let forbidden: [IPAddressRange] = [
        "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12", "192.0.0.0/24",
        "192.0.2.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
        "::/128", "::1/128", "64:ff9b::/96", "64:ff9b:1::/48", "100::/64", "2001:db8::/32", "fc00::/7", "fe80::/10", "ff00::/8",
    ].compactMap(IPAddressRange.init)

    /// Whether a webhook may not reach `address`: it lies in a forbidden range, or it is an IPv6 address
    /// that carries an IPv4 address in one (6to4, Teredo, IPv4-compatible and the like route to it).
    static func isForbidden(_ address: String) -> Bool {
        forbidden.contains { $0.contains(address) }
            || IPAddressRange.embeddedIPv4(in: address).contains { embedded in forbidden.contains { $0.contains(bytes: embedded) } }
    }

    func refusal(of url: String) async -> String? {
        guard let host = URL(string: url)?.host else { return "url has no host" }
        switch await resolve(host) {
        case .failure(let reason): return reason
        case .success: return nil
        }
    }

    func send(_ message: OutgoingWebhook) async -> WebhookOutcome {
        // A one-off (a ping, a manual retry): a session of one.
        (try? await session(to: message.url) { send in await send(message) })
            ?? WebhookOutcome(statusCode: nil, durationMilliseconds: 0, error: "could not send")
    }

    func session<T: Sendable>(to url: String, _ work: (_ send: (OutgoingWebhook) async -> WebhookOutcome) async throws -> T) async throws -> T {
        guard let host = URL(string: url)?.host else {
            return try await work { _ in WebhookOutcome(statusCode: nil, durationMilliseconds: 0, error: "url has no host") }
        }
        let address: String
        switch await resolve(host) {
        case .failure(let reason):
            return try await work { _ in WebhookOutcome(statusCode: nil, durationMilliseconds: 0, error: reason) }
        case .success(let resolved):
            address = resolved
        }
        let seconds = Int64(timeout.rounded(.up))
        var configuration = HTTPClient.Configuration(redirectConfiguration: .disallow, timeout: .init(connect: .seconds(seconds), read: .seconds(seconds)))
        // Pin the address checked above (an IP literal is used as it is).
        if address != host.trimmingCharacters(in: CharacterSet(charactersIn: "[]")) { configuration.dnsOverride = [host: address] }
        configuration.decompression = .disabled
        let client = HTTPClient(eventLoopGroupProvider: .shared(eventLoopGroup), configuration: configuration)
        do {
            let result = try await work { message in await post(message, with: client) }
            try? await client.shutdown()
            return result
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    /// The most of an answer's body an attempt reads; a longer one fails the attempt.
    static let answerLimit = 64 << 10

    private func post(_ message: OutgoingWebhook, with client: HTTPClient) async -> WebhookOutcome {
        let attributes: SpanAttributes = ["http.request.method": "POST", "server.address": .string(URL(string: message.url)?.host ?? ""),
                                          "webhook.id": .string(message.messageID), "booking.event.type": .string(message.eventType)]
        return await DeliveryTrace.attempt(tracer, "webhook POST", attributes: attributes, { trace in
            var request = Self.request(for: message)
            if let trace, let tracer { tracer.inject(trace, into: &request.headers, using: HeaderInjector()) }
            return await post(request, with: client)
        }, failure: \.error, finish: { outcome, attributes in
            if let status = outcome.statusCode { attributes["http.response.status_code"] = status }
        })
    }

    private func post(_ request: HTTPClientRequest, with client: HTTPClient) async -> WebhookOutcome {
        let started = ContinuousClock.now
        func outcome(_ status: Int?, _ error: String?) -> WebhookOutcome {
            let elapsed = ContinuousClock.now - started
            let milliseconds = Int(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)
            return WebhookOutcome(statusCode: status, durationMilliseconds: milliseconds, error: error)
        }
        let limit = TimeAmount.milliseconds(Int64(timeout * 1000))
        // The attempt runs on its own task and is cancelled (AsyncHTTPClient then closes its connection) when
        // the time is up; the answer here does not wait for it to notice.
        let attempt = Task { () -> Result<Int, any Error> in
            do {
                let response = try await client.execute(request, deadline: .now() + limit)
                var received = 0
                for try await part in response.body {
                    received += part.readableBytes
                    guard received <= Self.answerLimit else { throw AnswerTooLong() }
                }
                return .success(Int(response.status.code))
            } catch {
                return .failure(error)
            }
        }
        let finished = await FirstAnswer<Result<Int, any Error>?>.race(
            { await attempt.value },
            orAfter: .milliseconds(Int64(timeout * 1000)))
        switch finished {
        case .success(let status)?:
            return outcome(status, nil)
        case .failure(let error)?:
            return outcome(nil, Self.describe(error))
        case nil:
            attempt.cancel()
            return outcome(nil, "timed out: the whole attempt must end within WEBHOOK_TIMEOUT")
        }
    }

    /// An answer body over ``answerLimit``.
    struct AnswerTooLong: Error, CustomStringConvertible {
        var description: String { "the answer's body is over \(HTTPWebhookSender.answerLimit >> 10) KB" }
    }

    /// The signed POST of `message`.
    static func request(for message: OutgoingWebhook) -> HTTPClientRequest {
        let body = Self.body(of: message)
        var request = HTTPClientRequest(url: message.url)
        request.method = .POST
        request.headers.add(name: "content-type", value: "application/json")
        request.headers.add(name: "user-agent", value: "booking-webhooks/1")
        let timestamp = Int(message.timestamp.timeIntervalSince1970)
        request.headers.add(name: "webhook-id", value: message.messageID)
        request.headers.add(name: "webhook-timestamp", value: String(timestamp))
        request.headers.add(name: "webhook-signature",
                            value: WebhookSignature.sign(secret: message.secret, messageID: message.messageID, timestamp: timestamp, body: body))
        request.body = .bytes(ByteBuffer(bytes: body))
        return request
    }

    /// The JSON body: `{"type", "timestamp", "data"}`, `data` being the event as `GET /events/` shows it.
    static func body(of message: OutgoingWebhook) -> [UInt8] {
        let payload = WebhookPayload(type: message.eventType, timestamp: message.timestamp.wireFormat, data: message.event.map(EventResponse.init))
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return Array((try? encoder.encode(payload)) ?? Data("{}".utf8))
    }

    private static func describe(_ error: any Error) -> String {
        switch error {
        case let error as AnswerTooLong:
            error.description
        case let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout || error == .connectTimeout:
            "timed out"
        case let error as HTTPClientError:
            "\(error)"
        default:
            String(describing: error).prefix(300).description
        }
    }

    enum Resolution {
        case success(String)
        case failure(String)
    }

    /// The address to call for `host`: refused when it has none, or (unless private networks are
    /// allowed) when any of its addresses is one a webhook may not reach.
    private func resolve(_ host: String) async -> Resolution {
        let name = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        let addresses: [String]
        if IPAddressRange.isAddress(name) {
            addresses = [name]
        } else {
            guard let found = await Self.lookUp(name, within: timeout) else {
                return .failure("looking up url's host \(name.prefix(100)) took longer than WEBHOOK_TIMEOUT")
            }
            addresses = found
        }
        guard let first = addresses.first else { return .failure("url's host \(name.prefix(100)) does not resolve") }
        if !allowPrivateNetworks, let blocked = addresses.first(where: Self.isForbidden) {
            return .failure("url's host resolves to \(blocked), a loopback, private, link-local or reserved address; "
                + "webhooks may only reach public addresses unless WEBHOOK_ALLOW_PRIVATE_NETWORKS=true")
        }
        return .success(first)
    }

    /// The host's addresses, looked up on the thread pool (getaddrinfo blocks); nil when that takes longer
    /// than `limit` (the lookup cannot be cancelled, but nobody waits for it).
    private static func lookUp(_ host: String, within limit: TimeInterval) async -> [String]? {
        await FirstAnswer<[String]?>.race({ (try? await NIOThreadPool.singleton.runIfActive { lookUp(host) }) ?? [] },
                                          orAfter: .milliseconds(Int64(limit * 1000)))
    }

    /// getaddrinfo, blocking: run on the thread pool.
    private static func lookUp(_ host: String) -> [String] {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, nil, &hints, &list) == 0, let list else { return [] }
        defer { freeaddrinfo(list) }
        var addresses: [String] = []
        var cursor: UnsafeMutablePointer<addrinfo>? = list
        while let info = cursor {
            var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
            switch info.pointee.ai_family {
            case AF_INET:
                info.pointee.ai_addr.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { pointer in
                    var address = pointer.pointee.sin_addr
                    _ = inet_ntop(AF_INET, &address, &buffer, socklen_t(buffer.count))
                }
            case AF_INET6:
                info.pointee.ai_addr.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { pointer in
                    var address = pointer.pointee.sin6_addr
                    _ = inet_ntop(AF_INET6, &address, &buffer, socklen_t(buffer.count))
                }
            default:
                break
            }
            let text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if !text.isEmpty, !addresses.contains(text) { addresses.append(text) }
            cursor = info.pointee.ai_next
        }
        return addresses
    }
}
