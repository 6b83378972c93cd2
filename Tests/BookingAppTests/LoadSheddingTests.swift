import Foundation
import Synchronization
import Testing
import Vapor
@testable import AsyncPrimitives
@testable import BookingApp
@testable import BookingDomain

@Suite("Load shedding: a queue that refuses instead of growing")
struct LoadSheddingTests {
    /// Holds work until released, so a test decides when a run ends.
    actor Gate {
        private var waiters: [CheckedContinuation<Void, Never>] = []
        private(set) var arrived = 0
        func wait() async { arrived += 1; await withCheckedContinuation { waiters.append($0) } }
        func open() { waiters.forEach { $0.resume() }; waiters = [] }
    }

    actor Journal {
        private(set) var entries: [Int] = []
        func add(_ entry: Int) { entries.append(entry) }
    }

    /// A queue of one permit allowing 250 ms of waiting, with a run in hand (held until `gate` opens) and
    /// two ordinary callers in line behind it (they add 1 and 2 to `order` when they run): full for the
    /// next ordinary caller.
    struct FullQueue {
        let queue: SheddingQueue
        let gate: Gate, order: Journal
        let inLine: [Task<Void, any Error>]

        init() async throws {
            // A run is taken to last 100 ms (what the queue learns is tested below; here it stays put, since
            // no run ends before the refusal).
            let queue = SheddingQueue(permits: 1, maxWait: .milliseconds(250), typicalRun: .milliseconds(100))
            let gate = Gate(), order = Journal()
            let holder = Task { try await queue.run { await gate.wait() } }
            while await gate.arrived == 0 { try await Task.sleep(for: .milliseconds(1)) }
            // Two fit in 250 ms behind the run in hand (about 100 ms each); the third would wait about 300 ms.
            let first = Task { try await queue.run { await order.add(1) } }
            while await queue.estimatedWait < 0.15 { try await Task.sleep(for: .milliseconds(1)) }
            let second = Task { try await queue.run { await order.add(2) } }
            while await queue.estimatedWait < 0.25 { try await Task.sleep(for: .milliseconds(1)) }
            self.queue = queue
            self.gate = gate
            self.order = order
            inLine = [holder, first, second]
        }

        /// Lets the run in hand end and waits for those in line.
        func drain() async throws {
            await gate.open()
            for task in inLine { try await task.value }
        }
    }

    @Test("past the longest wait a caller is refused at once with an estimate of the wait; those in line still run, in order")
    func queue() async throws {
        let full = try await FullQueue()
        let queue = full.queue
        let ran = Journal()
        await #expect(throws: SheddingQueue.Overloaded(retryAfter: 1)) {
            try await queue.run { await ran.add(3) }
        }
        #expect(await ran.entries.isEmpty, "refused work never runs")
        try await full.drain()
        #expect(await full.order.entries == [1, 2])
        #expect(await queue.estimatedWait == 0)
    }

    @Test("a caller going first waits only behind others going first: a full queue of ordinary work neither refuses nor delays it")
    func goingFirst() async throws {
        let full = try await FullQueue()
        let queue = full.queue, order = full.order
        // Full for ordinary callers...
        await #expect(throws: SheddingQueue.Overloaded.self) { try await queue.run { await order.add(0) } }
        // ...but not for one going first, who is next once the run in hand ends.
        #expect(await queue.estimatedWait(first: true) == 0)
        let urgent = Task { try await queue.run(first: true) { await order.add(9) } }
        while await queue.estimatedWait(first: true) < 0.05 { try await Task.sleep(for: .milliseconds(1)) }
        // Those going first queue among themselves: three ahead fill the 250 ms.
        let more = (0..<2).map { index in Task { try await queue.run(first: true) { await order.add(10 + index) } } }
        while await queue.estimatedWait(first: true) < 0.25 { try await Task.sleep(for: .milliseconds(1)) }
        await #expect(throws: SheddingQueue.Overloaded.self) { try await queue.run(first: true) { await order.add(0) } }
        try await full.drain()
        try await urgent.value
        for task in more { try await task.value }
        // The one going first, then the other two going first (in the order they arrived), then the ordinary ones.
        let entries = await order.entries
        #expect(entries.first == 9 && Set(entries.dropFirst().prefix(2)) == [10, 11] && Array(entries.suffix(2)) == [1, 2], "\(entries)")
    }

    @Test("the estimate follows how long runs take: quick runs bring a slow first guess down, slow ones push it up")
    func learnsRunTime() async throws {
        // Time moves only when a run says so: each run takes exactly what it adds.
        let elapsed = Mutex(Duration.zero)
        let queue = SheddingQueue(permits: 1, maxWait: .seconds(1), typicalRun: .seconds(10), now: { elapsed.withLock { $0 } })
        #expect(await queue.averageRun == 10)
        for _ in 0..<20 { try await queue.run {} }
        // Each instant run pulls the average a fifth of the way to 0: 10 s × 0.8^20.
        let learned = try #require(await queue.averageRun)
        #expect(abs(learned - 10 * pow(0.8, 20)) < 1e-9, "\(learned)")
        try await queue.run { elapsed.withLock { $0 += .seconds(2) } }
        #expect(abs(try #require(await queue.averageRun) - (0.8 * learned + 0.2 * 2)) < 1e-9)
    }

    /// A short wait for the hasher (what these tests are about); as long as it takes for everything else.
    static func shortHashingQueue(_ config: inout AppConfig) {
        patientPool(&config)
        config.trustedProxies = [IPAddressRange("127.0.0.1")!]
        config.bcryptCost = 10
        config.passwordQueueMaxWait = 0.3
    }

    @Test("a flood of logins is answered 503 with Retry-After once the hashing queue is too long, counted in /metrics; reads still answer")
    func loginFlood() async throws {
        try await withBookingApp(.sqlite, configure: Self.shortHashingQueue, ownEventLoops: true) { client in
            try await withLoopback(client.app) { loopback in
                // One login first, so the queue has timed a hash before the flood (a server has, from the
                // decoy hash it makes at start-up; a flood arriving before any hash has ended is queued).
                let first = try await loopback.send(.POST, "/login/", json: ["username": "early", "password": "guess-password"])
                #expect(first.status == .unauthorized)
                // 32 clients, each sending guesses one after another until the server sheds one (at most 50
                // each): however fast connections open, the queue grows past a second of hashing.
                let stop = Flag()
                let replies = try await withThrowingTaskGroup(of: [LoopbackClient.Reply].self) { group in
                    for attacker in 0..<32 {
                        group.addTask {
                            var replies: [LoopbackClient.Reply] = []
                            for index in 0..<50 where !stop.isSet {
                                let reply = try await loopback.send(.POST, "/login/", json: ["username": "flood\(attacker)-\(index)", "password": "guess-password"],
                                                                    from: "198.19.\(attacker).\(index + 1)")
                                replies.append(reply)
                                if reply.status.code == 503 { stop.set() }
                            }
                            return replies
                        }
                    }
                    // Meanwhile the catalogue answers: it needs no password hashing.
                    group.addTask { [try await loopback.send(.GET, "/resources/")] }
                    return try await group.reduce(into: []) { $0 += $1 }
                }
                let shed = replies.filter { $0.status.code == 503 }
                let refusedLogins = replies.filter { $0.status.code == 401 }.count
                let reads = replies.filter { $0.status.code == 200 }.count
                #expect(!shed.isEmpty, "nothing was shed")
                #expect(refusedLogins >= 1, "the queue still served some")
                #expect(reads == 1, "the read answered")
                #expect(shed.count + refusedLogins + reads == replies.count, "no other answer")
                #expect(shed.allSatisfy { $0.code == "server_busy" && Int($0.headers.first(name: .retryAfter) ?? "") != nil })
                let metrics = try await loopback.send(.GET, "/metrics")
                let text = metrics.body.map { String(buffer: $0) } ?? ""
                #expect(text.contains("booking_load_shed_total{queue=\"password_hashing\"} \(shed.count)"), "\(text.prefix(200))")
            }
        }
    }

    @Test("while a flood of guesses from elsewhere is being shed, the real user logging in from their usual address gets in",
          arguments: TestDatabase.allCases)
    func realUserDuringFlood(db: TestDatabase) async throws {
        try await withBookingApp(db, configure: Self.shortHashingQueue, ownEventLoops: true) { client in
            try await client.signUp("owner", password: "owner-password")
            try await withLoopback(client.app) { loopback in
                let home = "192.0.2.10"
                let owner: [String: Any] = ["username": "owner", "password": "owner-password"]
                #expect(try await loopback.send(.POST, "/login/", json: owner, from: home).status == .ok)
                let stop = Flag()
                let flood = Task {
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        for attacker in 0..<24 {
                            group.addTask {
                                // A new username from a new address each time: no guess limit stops it.
                                for index in 0..<400 where !stop.isSet {
                                    _ = try await loopback.send(.POST, "/login/", json: ["username": "nobody\(attacker)-\(index)", "password": "guess"],
                                                                from: "198.19.\(attacker).\(index % 250 + 1)")
                                }
                            }
                        }
                        try await group.waitForAll()
                    }
                }
                // Once the queue is full enough to refuse...
                func shed() -> Double {
                    MetricsTests.Samples(String(decoding: client.app.metrics.exposition(), as: UTF8.self))[#"booking_load_shed_total{queue="password_hashing"}"#] ?? 0
                }
                let deadline = ContinuousClock.now + .seconds(120)
                while shed() == 0, ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(20))
                }
                #expect(shed() > 0, "the flood never filled the queue")
                // ...the owner, from home, still gets in, each time.
                var statuses: [UInt] = []
                for _ in 0..<3 {
                    statuses.append(try await loopback.send(.POST, "/login/", json: owner, from: home).status.code)
                }
                stop.set()
                try await flood.value
                #expect(statuses == [200, 200, 200])
            }
        }
    }
}

/// A flag one task sets and others read.
final class Flag: Sendable {
    private let value = Mutex(false)
    var isSet: Bool { value.withLock { $0 } }
    func set() { value.withLock { $0 = true } }
}
