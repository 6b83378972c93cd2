import Testing
@testable import AsyncPrimitives
@testable import BookingApp
@testable import BookingDomain
@testable import BookingPersistence

@Suite("Sharing a read among concurrent requests", .timeLimit(.minutes(2)))
struct FreshReadCoalescerTests {
    /// Stands in for the database: a value that reads see and writes change, and a count of reads.
    actor Store {
        var value = 0
        var reads = 0
        func set(_ newValue: Int) { value = newValue }
        func read() -> Int {
            reads += 1
            return value
        }
    }

    /// Holds reads back until the test opens it.
    actor Gate {
        private var isOpen = false
        private var waiters: [CheckedContinuation<Void, Never>] = []
        func wait() async {
            if isOpen { return }
            await withCheckedContinuation { waiters.append($0) }
        }
        func open() {
            isOpen = true
            waiters.forEach { $0.resume() }
            waiters = []
        }
    }

    /// A read that looks at the store, then waits at `gate` before it returns what it saw.
    static func heldAt(_ gate: Gate, reading store: Store) -> @Sendable () async throws -> Int {
        {
            let value = await store.read()
            await gate.wait()
            return value
        }
    }

    @Test("callers arriving while a read runs share one queued read; the running one serves only its own")
    func sharing() async throws {
        let store = Store(), gate = Gate(), coalescer = FreshReadCoalescer<Int>()
        let read = Self.heldAt(gate, reading: store)
        let first = Task { try await coalescer.value(read) }
        try await eventually { await store.reads == 1 }   // the first read has looked at the data
        await store.set(1)
        let late = Task {
            try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<20 { group.addTask { try await coalescer.value(read) } }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
        }
        try await eventually { coalescer.callersQueued == 20 }
        await gate.open()
        #expect(try await first.value == 0)
        #expect(try await late.value == Array(repeating: 1, count: 20), "every late caller sees the write made before it asked")
        #expect(await store.reads == 2, "21 callers, two reads")
    }

    @Test("a caller never gets a read that began before it asked")
    func freshness() async throws {
        let store = Store(), gate = Gate(), coalescer = FreshReadCoalescer<Int>()
        let stale = Task {
            try await coalescer.value(Self.heldAt(gate, reading: store))
        }
        try await eventually { await store.reads == 1 }
        await store.set(1)   // a write commits, then its author reads while the older read is still running
        let author = Task { try await coalescer.value { await store.read() } }
        try await eventually { coalescer.callersQueued == 1 }
        await gate.open()
        #expect(try await author.value == 1)
        #expect(try await stale.value == 0)
    }

    @Test("a failed read fails everyone who shared it; the next caller reads afresh")
    func failure() async throws {
        struct Unavailable: Error {}
        let store = Store(), gate = Gate(), coalescer = FreshReadCoalescer<Int>()
        await #expect(throws: Unavailable.self) {
            try await coalescer.value { _ = await store.read(); throw Unavailable() }
        }
        // A read that fails for a group: every caller of it gets the failure.
        let running = Task {
            try await coalescer.value(Self.heldAt(gate, reading: store))
        }
        try await eventually { await store.reads == 2 }
        let group = Task {
            await withTaskGroup(of: Bool.self) { group in
                for _ in 0..<5 {
                    group.addTask {
                        do {
                            _ = try await coalescer.value { _ = await store.read(); throw Unavailable() }
                            return false
                        } catch {
                            return error is Unavailable
                        }
                    }
                }
                return await group.reduce(into: [Bool]()) { $0.append($1) }
            }
        }
        try await eventually { coalescer.callersQueued == 5 }
        await gate.open()
        #expect(try await running.value == 0)
        #expect(await group.value == Array(repeating: true, count: 5))
        #expect(await store.reads == 3, "the five shared one failed read")
        await store.set(7)
        #expect(try await coalescer.value { await store.read() } == 7)
        #expect(await store.reads == 4)
    }
}
