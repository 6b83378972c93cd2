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
        let queue = SheddingQueue(permits: 1, maxWait: .milliseconds(250))
        // One run of 100 ms teaches the queue how long a run takes.
        try await queue.run { try await Task.sleep(for: .milliseconds(100)) }
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

    @Test("a flood of logins is answered 503 with Retry-After once the hashing queue is too long, counted in /metrics; reads still answer")
    func loginFlood() async throws {
        try await withBookingApp(.sqlite, configure: {
            $0.trustedProxies = [IPAddressRange("127.0.0.1")!]
            $0.bcryptCost = 10
            $0.passwordQueueMaxWait = 1
        }) { client in
            try await withLoopback(client.app) { loopback in
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
