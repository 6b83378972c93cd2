import Foundation
import HTTPTypes
import OpenAPIAsyncHTTPClient
import OpenAPIRuntime
import Testing
import Vapor
@testable import BookingApp

/// The client swift-openapi-generator makes from `openapi.json` at build time, used against a running
/// server: every request is built from the document's types and every answer must decode into them
/// (dates with milliseconds, enums, the error codes), so the document and the server cannot drift apart
/// without this failing to compile or to decode.
@Suite("A client generated from the contract")
struct TypedClientTests {
    /// Sends `Authorization: Token <token>` on every request.
    struct TokenAuthentication: ClientMiddleware {
        let token: String

        func intercept(
            _ request: HTTPRequest, body: HTTPBody?, baseURL: URL, operationID: String,
            next: @Sendable (HTTPRequest, HTTPBody?, URL) async throws -> (HTTPResponse, HTTPBody?)
        ) async throws -> (HTTPResponse, HTTPBody?) {
            var request = request
            request.headerFields[.authorization] = "Token \(token)"
            return try await next(request, body, baseURL)
        }
    }

    /// Runs `test` with a server listening on loopback and a way to make clients of it.
    func withServer(_ test: (_ client: (_ token: String?) -> Client) async throws -> Void) async throws {
        let app = try await Application.make(.testing)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("typed-client-\(UUID().uuidString).sqlite").path
        do {
            try configure(app, with: AppConfig(database: .sqlite(path: path), adminUsername: "root", adminPassword: "root-password",
                                               bcryptCost: 4))
            try await prepare(app)
            try await app.server.start(address: .hostname("127.0.0.1", port: 0))
            let port = try #require(app.http.server.shared.localAddress?.port)
            let url = try #require(URL(string: "http://127.0.0.1:\(port)"))
            try await test { token in
                Client(serverURL: url, configuration: .init(dateTranscoder: .iso8601WithFractionalSeconds),
                       transport: AsyncHTTPClientTransport(), middlewares: token.map { [TokenAuthentication(token: $0)] } ?? [])
            }
        } catch {
            await app.server.shutdown()
            try? await app.asyncShutdown()
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
            throw error
        }
        await app.server.shutdown()
        try await app.asyncShutdown()
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    }

    @Test("sign up, log in, stock, book, replay, read, list, cancel and refuse: each request and answer in the document's types")
    func journey() async throws {
        try await withServer { client in
            let anonymous = client(nil)
            let user = try await anonymous.signUp(body: .json(.init(
                username: "typed", emailAddress: "typed@example.com", password: "password123", confirmPassword: "password123"
            ))).created.body.json
            #expect(user.username == "typed" && !user.isAdmin && user.isActive)

            let session = try await anonymous.login(body: .json(.init(username: "TYPED", password: "password123"))).ok.body.json
            #expect(session.user.id == user.id)
            #expect(session.expiresAt.timeIntervalSinceNow > 6 * 86400)
            let admin = client(try await anonymous.login(body: .json(.init(username: "root", password: "root-password"))).ok.body.json.token)
            let booker = client(session.token)
            #expect(try await booker.me().ok.body.json == user)

            let room = try await admin.createResource(body: .json(.init(name: "Typed room", totalQuantity: 3))).created.body.json
            #expect(room.availableQuantity == 3)

            let booked = try await booker.book(headers: .init(idempotencyKey: "typed-1"),
                                               body: .json(.init(resource: .case1(room.id), purchaseQuantity: 2))).created
            #expect(booked.headers.idempotentReplayed == nil)
            let booking = try booked.body.json
            #expect(booking.status == .active && booking.resourceName == "Typed room" && booking.purchaseQuantity == 2)
            let replay = try await booker.book(headers: .init(idempotencyKey: "typed-1"),
                                               body: .json(.init(resource: .case1(room.id), purchaseQuantity: 2))).created
            #expect(replay.headers.idempotentReplayed == ._true)
            #expect(try replay.body.json == booking)

            let refused = try await booker.book(body: .json(.init(resource: .case2("typed ROOM"), purchaseQuantity: 2))).badRequest.body.json
            #expect(refused.code == .insufficientQuantity)
            #expect(try await booker.getBooking(path: .init(id: booking.id)).ok.body.json == booking)
            #expect(try await booker.listBookings(query: .init(status: .all)).ok.body.json == [booking])
            let catalogue = try await anonymous.listResources().ok.body.json
            #expect(catalogue.resources.map(\.id) == [room.id])
            #expect(catalogue.resources.first?.availableQuantity == 1)

            let cancelled = try await booker.cancelBooking(path: .init(id: booking.id)).ok.body.json
            #expect(cancelled.status == .cancelled && cancelled.id == booking.id)
            #expect(try await booker.cancelBooking(path: .init(id: booking.id)).conflict.body.json.code == .bookingAlreadyCancelled)
            #expect(try await anonymous.getResource(path: .init(id: room.id)).ok.body.json.availableQuantity == 3)

            let resized = try await admin.updateResource(path: .init(id: room.id), body: .json(.init(totalQuantity: 5))).ok.body.json
            #expect(resized.totalQuantity == 5 && resized.availableQuantity == 5)
            #expect(try await booker.createResource(body: .json(.init(name: "Nope", totalQuantity: 1))).forbidden.body.json.code == .adminRequired)
            #expect(try await anonymous.listBookings().unauthorized.body.json.code == .authenticationRequired)
            #expect(try await admin.listUsers(query: .init(search: "typ")).ok.body.json.map(\.username) == ["typed"])
            _ = try await booker.logout().noContent
            #expect(try await booker.me().unauthorized.body.json.code == .invalidToken)
        }
    }
}
