import Foundation
import Logging
import NIOConcurrencyHelpers
import SQLKit
import Testing
import Vapor
@testable import BookingApp
@testable import BookingDomain
@testable import BookingPersistence

/// Collects every log line, at every level, with its metadata.
final class CapturedLogs: Sendable {
    private let lines = NIOLockedValueBox<[String]>([])

    var all: [String] { lines.withLockedValue { $0 } }

    func handler(label: String) -> any LogHandler { Handler(label: label, sink: self) }

    fileprivate func append(_ line: String) { lines.withLockedValue { $0.append(line) } }

    private struct Handler: LogHandler {
        let label: String
        let sink: CapturedLogs
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let merged = metadata.merging(event.metadata ?? [:]) { $1 }
            sink.append("\(event.level) \(label) \(event.message) \(merged)")
        }
    }
}

@Suite("No secret in any log")
struct LogSecrecyTests {
    @Test("tokens, passwords and hashes never reach the logs, even at trace level", arguments: TestDatabase.allCases)
    func noSecrets(db: TestDatabase) async throws {
        let logs = CapturedLogs()
        let password = "correct-horse-battery", newPassword = "staple-staple-staple"
        let secrets = NIOLockedValueBox<[String]>([TestAdmin.password, password, newPassword])
        // The production handler chain: the redactor in front of the real output (Entrypoint.swift).
        let logger = Logger(label: "test") { label in RedactingLogHandler(wrapping: logs.handler(label: label)) }
        try await withBookingApp(db, logger: logger) { client in
            try await client.signUp("ulla", password: password)
            let token = try await client.login("ulla", password: password)
            let admin = try await client.adminToken()
            let id = try await client.createResource("Lamp", total: 3, adminToken: admin)
            _ = try await client.book(id, quantity: 1, token: token)
            _ = try await client.send(.POST, "/login/", json: ["username": "ulla", "password": "wrong-\(password)"])
            _ = try await client.send(.POST, "/users/me/password", token: token, json: ["old_password": password, "new_password": newPassword])
            _ = try await client.send(.GET, "/bookings/", headers: [("Authorization", "Token \(token)x")])
            // A calendar feed's token is in its path: the access log names the route, not the token.
            let feed = try await client.send(.POST, "/users/me/calendar-feed", token: token)
            let path = try #require(feed.json["path"] as? String)
            #expect(try await client.send(.GET, path).status == .ok)
            secrets.withLockedValue { $0.append(String(path.dropFirst("/calendar/".count).dropLast(".ics".count))) }
            _ = try await client.send(.POST, "/logout/", token: token)

            let sql = client.app.db as! any SQLDatabase
            let hashes = try await sql.raw("SELECT password_hash FROM users").all().map { try $0.decode(column: "password_hash", as: String.self) }
            let found = [token, admin, SessionService.hash(token: token), SessionService.hash(token: admin)] + hashes
            secrets.withLockedValue { $0 += found }
        }
        let lines = logs.all
        #expect(lines.count > 10, "the test saw the logs")
        for secret in secrets.withLockedValue({ $0 }) {
            let leaks = lines.filter { $0.contains(secret) }
            #expect(leaks.isEmpty, "a secret appears in \(leaks.count) log line(s), e.g. \(leaks.first ?? "")")
        }
    }
}
