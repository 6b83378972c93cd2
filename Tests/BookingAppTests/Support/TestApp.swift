import AsyncHTTPClient
import Foundation
import NIOCore
import NIOPosix
import Testing
import Tracing
import Vapor
import VaporTesting
@testable import BookingApp
@testable import BookingDomain
@testable import BookingPersistence

/// Admin credentials every test application starts with.
enum TestAdmin {
    static let username = "root"
    static let password = "root-password"
}

/// Runs `test` against a freshly migrated application on its own empty database, then waits for the
/// requests it left running (the application's shutdown drains them) before the database goes.
///
/// Every application has a blocking thread pool of its own (SQLite's statements, Bcrypt): on the process's
/// shared one, a test could wait behind every other test running at the same moment.
/// `ownEventLoops`: its event loops are its own too, for tests that time the server (idle time-outs) or
/// send bursts: the rest of the suite cannot then stall the loops they use.
func withBookingApp(
    _ database: TestDatabase,
    configure adjust: (inout AppConfig) -> Void = { _ in },
    clock: any WallClock = SystemClock(),
    logger: Logger? = nil,
    ownEventLoops: Bool = false,
    tracer: (any Tracer)? = nil,
    _ test: (TestClient) async throws -> Void
) async throws {
    try await withBookingApp(at: try await database.makeLocation(), configure: adjust, clock: clock, logger: logger,
                             ownEventLoops: ownEventLoops, tracer: tracer, test)
}

/// Runs `test` against a freshly migrated application on the given database.
func withBookingApp(
    at database: (location: DatabaseLocation, cleanUp: @Sendable () async -> Void),
    configure adjust: (inout AppConfig) -> Void = { _ in },
    clock: any WallClock = SystemClock(),
    logger: Logger? = nil,
    ownEventLoops: Bool = false,
    tracer: (any Tracer)? = nil,
    _ test: (TestClient) async throws -> Void
) async throws {
    let (location, cleanUp) = database
    var config = AppConfig(database: location, databasePoolSize: 4,
                           adminUsername: TestAdmin.username, adminPassword: TestAdmin.password, bcryptCost: 4)
    generousDeadlines(&config)
    adjust(&config)
    let loops = ownEventLoops ? MultiThreadedEventLoopGroup(numberOfThreads: 2) : nil
    let app = try await Application.make(.testing, loops.map { .shared($0) } ?? .singleton)
    // Vapor starts and shuts down the pool with the application.
    app.threadPool = NIOThreadPool(numberOfThreads: 2)
    if let logger { app.logger = logger }
    do {
        try configure(app, with: config, clock: clock, tracer: tracer)
        try await prepare(app)
        try await test(TestClient(app: app))
    } catch {
        await shutDown(app)
        try? await loops?.shutdownGracefully()
        await cleanUp()
        throw error
    }
    await shutDown(app)
    try? await loops?.shutdownGracefully()
    await cleanUp()
}

/// Shuts `app` down unless the test did; its requests still running are drained first (`RequestDrain`).
func shutDown(_ app: Application) async {
    guard !app.didShutdown else { return }
    try? await app.asyncShutdown()
}

/// Every test application's deadlines on a request and on a statement are far off: the whole suite runs
/// at once on two cores, and a request that waits long for its turn is still a correct one. The tests of
/// those deadlines set them short themselves (FailoverTests).
func generousDeadlines(_ config: inout AppConfig) {
    config.requestTimeout = 600
    config.databaseStatementTimeout = 600
}

/// For races: requests wait for a pooled connection and for the password hasher as long as they need on a
/// loaded machine (the whole suite runs at once), since what a race tests is the outcome, not when a
/// request is shed with a 503 (OutageTests and LoadSheddingTests test that).
func patientPool(_ config: inout AppConfig) {
    config.databaseTimeout = 300
    config.passwordQueueMaxWait = 300
    config.requestTimeout = 600
    // Over loopback, a connection waiting for its answer that long must not be closed as idle meanwhile.
    config.httpIdleTimeout = 300
}

/// A thin JSON client over the in-memory application, with the sign-up and login steps tests repeat.
struct TestClient: Sendable {
    let app: Application
    /// In memory by default; `.running(hostname: "127.0.0.1", port: 0)` sends each request over a real
    /// loopback connection, for tests that need a peer address.
    var transport: Application.Method = .inMemory

    struct Reply: Sendable {
        let status: HTTPStatus
        let headers: HTTPHeaders
        let body: ByteBuffer

        /// The body as a JSON object; a failed test records why.
        var json: [String: Any] {
            (try? JSONSerialization.jsonObject(with: Data(buffer: body))) as? [String: Any] ?? [:]
        }

        var jsonArray: [[String: Any]] {
            (try? JSONSerialization.jsonObject(with: Data(buffer: body))) as? [[String: Any]] ?? []
        }

        var code: String? { error?.code }
        var text: String { String(buffer: body) }
    }

    func send(
        _ method: HTTPMethod, _ path: String, token: String? = nil, json: Any? = nil, rawBody: String? = nil,
        headers extra: [(String, String)] = []
    ) async throws -> Reply {
        var headers = HTTPHeaders(extra)
        if let token { headers.replaceOrAdd(name: .authorization, value: "Token \(token)") }
        var body: ByteBuffer?
        if let json {
            body = ByteBuffer(data: try JSONSerialization.data(withJSONObject: json))
            headers.contentType = .json
        } else if let rawBody {
            body = ByteBuffer(string: rawBody)
        }
        let response = try await app.testing(method: transport).performTest(
            request: TestingHTTPRequest(method: method, url: URI(path: path), headers: headers,
                                        body: body ?? ByteBuffer())
        )
        return Reply(status: response.status, headers: response.headers, body: response.body)
    }

    @discardableResult
    func signUp(_ username: String, password: String = "password123", email: String? = nil) async throws -> UserResponse {
        let reply = try await send(.POST, "/users/", json: [
            "username": username, "email_address": email ?? "\(username)@example.com",
            "password": password, "confirm_password": password,
        ])
        #expect(reply.status == .created, "sign-up of \(username): \(reply.text)")
        return try reply.user
    }

    func login(_ username: String, password: String = "password123") async throws -> String {
        let reply = try await send(.POST, "/login/", json: ["username": username, "password": password])
        #expect(reply.status == .ok, "login of \(username): \(reply.text)")
        return try reply.decode(LoginResponse.self).token
    }

    /// Signs a new user up and logs them in.
    func userToken(_ username: String) async throws -> String {
        try await signUp(username)
        return try await login(username)
    }

    func adminToken() async throws -> String {
        try await login(TestAdmin.username, password: TestAdmin.password)
    }

    /// Creates a resource as the admin and returns its id.
    func createResource(_ name: String, total: Int, available: Int? = nil, adminToken: String) async throws -> Int {
        var body: [String: Any] = ["name": name, "total_quantity": total]
        if let available { body["available_quantity"] = available }
        let reply = try await send(.POST, "/resources/", token: adminToken, json: body)
        #expect(reply.status == .created, "create \(name): \(reply.text)")
        return try reply.resource.id
    }

    func resource(_ id: Int) async throws -> ResourceResponse {
        let reply = try await send(.GET, "/resources/\(id)/")
        #expect(reply.status == .ok)
        return try reply.resource
    }

    func available(_ id: Int) async throws -> Int? {
        try await resource(id).availableQuantity
    }

    func book(_ resource: Any, quantity: Any, token: String) async throws -> Reply {
        try await send(.POST, "/bookings/", token: token, json: ["resource": resource, "purchase_quantity": quantity])
    }

    func hold(_ resource: Any, quantity: Any, ttl: Int? = nil, token: String) async throws -> Reply {
        var body: [String: Any] = ["resource": resource, "quantity": quantity]
        if let ttl { body["ttl_seconds"] = ttl }
        return try await send(.POST, "/holds/", token: token, json: body)
    }

    /// A resource's listed stock: (available, held, total).
    func stock(_ id: Int) async throws -> (available: Int, held: Int, total: Int) {
        let item = try await resource(id)
        return (item.availableQuantity, item.heldQuantity, item.totalQuantity)
    }
}

/// Runs `test` against `count` applications sharing one fresh PostgreSQL database, each with its own
/// connection pool: in-process stand-ins for server replicas behind a load balancer. They start
/// concurrently, as replicas do, so their migrations race too.
func withPostgresReplicas(
    _ count: Int, configure adjust: (inout AppConfig) -> Void = { _ in }, clock: any WallClock = SystemClock(),
    _ test: ([TestClient]) async throws -> Void
) async throws {
    let (location, cleanUp) = try await TestDatabase.postgres.makeLocation()
    var config = AppConfig(database: location, databasePoolSize: 2,
                           adminUsername: TestAdmin.username, adminPassword: TestAdmin.password, bcryptCost: 4)
    generousDeadlines(&config)
    adjust(&config)
    var apps: [Application] = []
    do {
        for _ in 0..<count {
            let app = try await Application.make(.testing)
            app.threadPool = NIOThreadPool(numberOfThreads: 2)
            apps.append(app)
            try configure(app, with: config, clock: clock)
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for app in apps { group.addTask { try await prepare(app) } }
            try await group.waitForAll()
        }
        try await test(apps.map { TestClient(app: $0) })
    } catch {
        for app in apps { await shutDown(app) }
        await cleanUp()
        throw error
    }
    for app in apps { await shutDown(app) }
    await cleanUp()
}

extension Route {
    /// A web page (its access level is a page's) or one of the pages' assets: not part of the API.
    var isWebPage: Bool {
        access?.isPage == true || path.first?.description == "assets"
    }
}

extension Application {
    /// Every served API route as `METHOD path`, parameters written `:` (`GET bookings/:`), leaving out
    /// `paths`, the web pages and their assets: what the documentation tests compare the README and the
    /// OpenAPI document with.
    func routeSignatures(excluding paths: Set<String> = []) -> Set<String> {
        Set(routes.all.compactMap { route in
            if route.isWebPage { return nil }
            return paths.contains(route.path.map(\.description).joined(separator: "/")) ? nil : signature(of: route)
        })
    }

    /// One route as `METHOD path` (`GET bookings/:`).
    func signature(of route: Route) -> String {
        let path = route.path.map { component -> String in
            if case .parameter = component { return ":" }
            return component.description
        }.joined(separator: "/")
        return "\(route.method.rawValue) \(path)"
    }
}

/// Real HTTP to a test application over loopback, many requests at once: for what needs a peer address
/// (limits per client behind a trusted proxy) or real connections. Starts the application's server on a
/// free port and stops it afterwards.
struct LoopbackClient: Sendable {
    let port: Int
    let http: HTTPClient
    /// How long one request may take before the client gives up: generous, since what these tests check is
    /// an outcome, never how fast it came on a loaded machine.
    static let patience: TimeAmount = .seconds(300)

    struct Reply: Sendable {
        let status: HTTPResponseStatus
        let headers: HTTPHeaders
        let body: ByteBuffer?
        var json: [String: Any] {
            guard let body else { return [:] }
            return (try? JSONSerialization.jsonObject(with: Data(buffer: body))) as? [String: Any] ?? [:]
        }
        var code: String? { json["code"] as? String }
    }

    /// Sends `json` as `from` (an address put in `X-Forwarded-For`, which the app believes from loopback
    /// when `TRUSTED_PROXIES` includes 127.0.0.1).
    func send(_ method: HTTPMethod, _ path: String, json: [String: Any]? = nil, rawJSON: String? = nil, token: String? = nil,
              from address: String? = nil) async throws -> Reply {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
        request.method = .init(rawValue: method.rawValue)
        if let address { request.headers.add(name: "X-Forwarded-For", value: address) }
        if let token { request.headers.add(name: "Authorization", value: "Token \(token)") }
        if let json {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(data: try JSONSerialization.data(withJSONObject: json)))
        } else if let rawJSON {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: rawJSON))
        }
        let response = try await http.execute(request, timeout: Self.patience)
        let body = try await response.body.collect(upTo: 1 << 20)
        return Reply(status: response.status, headers: response.headers, body: body)
    }
}

/// Starts `app`'s server on loopback for `test`, with a client allowed as many connections as requests
/// sent at once.
func withLoopback(_ app: Application, _ test: (LoopbackClient) async throws -> Void) async throws {
    try await app.server.start(address: .hostname("127.0.0.1", port: 0))
    let http = HTTPClient(eventLoopGroup: app.eventLoopGroup, configuration: .init(
        connectionPool: .init(idleTimeout: .seconds(30), concurrentHTTP1ConnectionsPerHostSoftLimit: 512)))
    do {
        let port = try #require(app.http.server.shared.localAddress?.port)
        try await test(LoopbackClient(port: port, http: http))
    } catch {
        try? await http.shutdown()
        await app.server.shutdown()
        throw error
    }
    try await http.shutdown()
    await app.server.shutdown()
}
