import Foundation
import Logging
import NIOConcurrencyHelpers
import Testing
import Vapor
@testable import BookingApp
@testable import BookingDomain
@testable import BookingPersistence

@Suite("Logs")
struct LoggingTests {
    @Test("one access line per request, with the route pattern, client, status, duration and request id")
    func accessLine() async throws {
        let logs = CapturedLogs()
        let logger = Logger(label: "test") { label in RedactingLogHandler(wrapping: logs.handler(label: label)) }
        try await withBookingApp(.sqlite, logger: logger) { client in
            let token = try await client.userToken("vic")
            _ = try await client.send(.DELETE, "/bookings/4242/", token: token, headers: [("X-Request-ID", "access-1")])
        }
        let lines = logs.all.filter { $0.contains("access-1") && $0.contains("duration_ms") }
        #expect(lines.count == 1, "\(lines)")
        let line = try #require(lines.first)
        #expect(line.contains("\"route\": /bookings/:id"))
        #expect(line.contains("\"status\": 404"))
        #expect(line.contains("\"method\": DELETE"))
        #expect(line.contains("\"client\": unknown"), "in-process requests have no peer address")
        #expect(!line.contains("\"route\": /bookings/4242"), "the route label never holds a raw id")
    }

    @Test("a request without a sane X-Request-ID logs under the id its answer carries, never under the client's text")
    func generatedIDsInLogs() async throws {
        let logs = CapturedLogs()
        let logger = Logger(label: "test") { label in RedactingLogHandler(wrapping: logs.handler(label: label)) }
        let insane = "bad id " + String(repeating: "y", count: 20)
        let ids = NIOLockedValueBox<[String]>([])
        try await withBookingApp(.sqlite, logger: logger) { client in
            for headers in [[], [("X-Request-ID", insane)]] {
                let answer = try await client.send(.GET, "/nowhere/", headers: headers)
                ids.withLockedValue { $0.append(answer.headers.first(name: .xRequestId) ?? "") }
            }
        }
        let (absent, replaced) = ids.withLockedValue { ($0[0], $0[1]) }
        #expect(absent != replaced && UUID(uuidString: absent) != nil && UUID(uuidString: replaced) != nil)
        for id in [absent, replaced] {
            #expect(logs.all.filter { $0.contains(id) && $0.contains("duration_ms") }.count == 1, "the access line names \(id)")
        }
        #expect(!logs.all.contains { $0.contains(insane) }, "the client's text is never the id")
    }

    @Test("the database's statements for a request log under its request id, after the token look-up too: the request's scope reaches every task it starts")
    func statementsCarryTheRequestID() async throws {
        let logs = CapturedLogs()
        let logger = Logger(label: "test") { label in RedactingLogHandler(wrapping: logs.handler(label: label)) }
        try await withBookingApp(.sqlite, logger: logger) { client in
            let token = try await client.userToken("scope")
            let id = try await client.createResource("Scoped", total: 3, adminToken: try await client.adminToken())
            let booked = try await client.send(.POST, "/bookings/", token: token, json: ["resource": id, "purchase_quantity": 1],
                                              headers: [("X-Request-ID", "scope-1")])
            #expect(booked.status == .created)
        }
        let statements = logs.all.filter { $0.contains("scope-1") && !$0.contains("duration_ms") }
        // The token look-up runs in the token middleware's task, the write count in the handler's.
        #expect(statements.contains { $0.contains("Executing query") && $0.contains("FROM access_tokens") }, "\(statements)")
        #expect(statements.contains { $0.contains("Executing query") && $0.contains("INSERT INTO write_counts") }, "\(statements)")
    }

    @Test("the redactor passes the logger's metadata and level with each line: a line's own metadata wins, bound values are redacted wherever set")
    func redactorForwards() {
        struct Recorder: LogHandler {
            let seen: NIOLockedValueBox<[(Logger.Level, Logger.Metadata)]>
            var metadata: Logger.Metadata = ["inner": "kept"]
            var logLevel: Logger.Level = .info
            subscript(metadataKey key: String) -> Logger.Metadata.Value? {
                get { metadata[key] }
                set { metadata[key] = newValue }
            }
            func log(event: LogEvent) {
                seen.withLockedValue { $0.append((logLevel, metadata.merging(event.metadata ?? [:]) { $1 })) }
            }
        }
        let seen = NIOLockedValueBox<[(Logger.Level, Logger.Metadata)]>([])
        var logger = Logger(label: "test") { _ in RedactingLogHandler(wrapping: Recorder(seen: seen)) }
        let copy = logger
        logger[metadataKey: "request-id"] = "r-1"
        logger[metadataKey: "binds"] = "secret-a"
        logger[metadataKey: "who"] = "logger"
        logger.logLevel = .debug
        logger.debug("one", metadata: ["who": "line", "binds": "secret-b"])
        copy.info("two")
        copy.debug("not at info")
        let lines = seen.withLockedValue { $0 }
        #expect(lines.count == 2)
        #expect(lines.first?.0 == .debug, "the wrapped handler writes at the logger's level")
        #expect(lines.first?.1 == ["inner": "kept", "request-id": "r-1", "binds": "[redacted]", "who": "line"])
        #expect(lines.last?.0 == .info && lines.last?.1 == ["inner": "kept"], "a copy made before is unchanged")
    }

    @Test("loggers with one label share the handler made for it, each with metadata of its own; labels past the capacity still get one")
    func handlersPerLabel() {
        let logs = CapturedLogs()
        let made = NIOLockedValueBox(0)
        let handlers = LogHandlers { label in
            made.withLockedValue { $0 += 1 }
            return RedactingLogHandler(wrapping: logs.handler(label: label))
        }
        var first = Logger(label: "request", factory: handlers.handler(label:))
        let second = Logger(label: "request", factory: handlers.handler(label:))
        first[metadataKey: "request-id"] = "first-1"
        first.info("one")
        second.info("two")
        #expect(made.withLockedValue { $0 } == 1, "made once for the label")
        #expect(logs.all.filter { $0.contains("first-1") }.count == 1 && logs.all.contains { $0.contains("two") && !$0.contains("first-1") })
        for index in 0..<(LogHandlers.capacity + 10) {
            Logger(label: "made-\(index)", factory: handlers.handler(label:)).info("label \(index)")
        }
        #expect(handlers.kept == LogHandlers.capacity)
        #expect(logs.all.contains { $0.contains("made-\(LogHandlers.capacity + 9)") && $0.contains("label \(LogHandlers.capacity + 9)") })
    }

    @Test("the access line's duration is milliseconds with two decimals")
    func durationFormat() {
        #expect(AccessLog.milliseconds(.zero) == "0.00")
        #expect(AccessLog.milliseconds(.microseconds(50)) == "0.05")
        #expect(AccessLog.milliseconds(.milliseconds(12) + .microseconds(509)) == "12.50")
        #expect(AccessLog.milliseconds(.seconds(2) + .microseconds(990)) == "2000.99")
    }

    @Test("LOG_FORMAT=json writes one JSON object per line with the metadata")
    func jsonLines() throws {
        let written = NIOLockedValueBox<[String]>([])
        var logger = Logger(label: "booking") { label in
            JSONLogHandler(label: label, level: .info) { line in written.withLockedValue { $0.append(line) } }
        }
        logger[metadataKey: "request-id"] = "json-1"
        logger.info("GET /resources/ 200", metadata: ["status": "200", "route": "/resources"])
        logger.debug("below the level")
        let lines = written.withLockedValue { $0 }
        #expect(lines.count == 1)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        #expect(object["level"] as? String == "info")
        #expect(object["message"] as? String == "GET /resources/ 200")
        #expect(object["request-id"] as? String == "json-1")
        #expect(object["route"] as? String == "/resources")
        #expect((object["timestamp"] as? String)?.hasSuffix("Z") == true)
    }

    @Test("LOG_FORMAT accepts text or json")
    func logFormatSetting() throws {
        #expect(try AppConfig.fromEnvironment([:]).logFormat == .text)
        #expect(try AppConfig.fromEnvironment(["LOG_FORMAT": "json"]).logFormat == .json)
        #expect(throws: ConfigurationError.self) { try AppConfig.fromEnvironment(["LOG_FORMAT": "xml"]) }
    }
}
