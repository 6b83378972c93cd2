import Foundation
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

    @Test("past the longest wait a caller is refused at once with an estimate of the wait; those in line still run, in order")
    func queue() async throws {
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
        let ran = Journal()
        await #expect(throws: SheddingQueue.Overloaded(retryAfter: 1)) {
            try await queue.run { await ran.add(3) }
        }
        #expect(await ran.entries.isEmpty, "refused work never runs")
        await gate.open()
        try await holder.value
        try await first.value
        try await second.value
        #expect(await order.entries == [1, 2])
        #expect(await queue.estimatedWait == 0)
    }

    @Test("the estimate follows how long runs take: quick runs bring a slow first guess down")
    func learnsRunTime() async throws {
        let queue = SheddingQueue(permits: 1, maxWait: .seconds(1), typicalRun: .seconds(10))
        #expect(await queue.averageRun == 10)
        for _ in 0..<20 { try await queue.run {} }
        // Each quick run pulls the average a fifth of the way to its own time: 10 s × 0.8^20 is about 0.12 s.
        let learned = try #require(await queue.averageRun)
        #expect(learned < 0.2 && learned > 0.1)
    }

    @Test("a flood of logins is answered 503 with Retry-After once the hashing queue is too long, counted in /metrics; reads still answer")
    func loginFlood() async throws {
        try await withBookingApp(.sqlite, configure: {
            $0.trustedProxies = [IPAddressRange("127.0.0.1")!]
            $0.bcryptCost = 10
            $0.passwordQueueMaxWait = 1
        }) { client in
            try await withLoopback(client.app) { loopback in
                // One login first, so the queue has timed a hash before the flood (a server has, from the
                // decoy hash it makes at start-up; a flood arriving before any hash has ended is queued).
                let first = try await loopback.send(.POST, "/login/", json: ["username": "early", "password": "guess-password"])
                #expect(first.status == .unauthorized)
                let replies = try await withThrowingTaskGroup(of: LoopbackClient.Reply.self) { group in
                    for index in 0..<120 {
                        group.addTask {
                            try await loopback.send(.POST, "/login/", json: ["username": "flood\(index)", "password": "guess-password"],
                                                    from: "198.19.\(index / 250).\(index % 250 + 1)")
                        }
                    }
                    // Meanwhile the catalogue answers: it needs no password hashing.
                    group.addTask { try await loopback.send(.GET, "/resources/") }
                    return try await group.reduce(into: []) { $0.append($1) }
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
}
