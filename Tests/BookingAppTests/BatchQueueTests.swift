import Synchronization
import Testing
@testable import AsyncPrimitives

@Suite("Serving work in batches per key")
struct BatchQueueTests {
    /// Holds batches back until the test opens it, and records every batch run.
    actor Recorder {
        private(set) var batches: [(key: String, items: [Int])] = []
        private var isOpen = true
        private var waiters: [CheckedContinuation<Void, Never>] = []

        func close() { isOpen = false }
        func open() {
            isOpen = true
            waiters.forEach { $0.resume() }
            waiters = []
        }

        func run(_ key: String, _ items: [Int]) async -> [Result<String, any Error>] {
            batches.append((key, items))
            if !isOpen { await withCheckedContinuation { waiters.append($0) } }
            // An odd item fails on its own; the others in its batch still succeed.
            return items.map { $0 % 2 == 1 ? .failure(Odd(item: $0)) : .success("\(key):\($0)") }
        }
    }

    struct Odd: Error, Equatable {
        let item: Int
    }


    @Test("a lone item runs at once; items arriving while a batch runs are served by the next one, in arrival order, each with its own outcome")
    func batchesInArrivalOrder() async throws {
        let recorder = Recorder()
        let queue = BatchQueue<String, Int, String>(maxBatch: 10) { key, items in await recorder.run(key, items) }
        #expect(try await queue.submit(0, for: "a") == "a:0")
        #expect(await recorder.batches.map(\.items) == [[0]])

        await recorder.close()
        let first = Task { try await queue.submit(2, for: "a") }
        try await eventually { await recorder.batches.count == 2 }
        // While [2] runs, 4, 5 and 6 queue up in this order.
        var queued: [Task<String, any Error>] = []
        for item in [4, 5, 6] {
            queued.append(Task { try await queue.submit(item, for: "a") })
            try await eventually { queue.queued(for: "a") == queued.count }
        }
        await recorder.open()
        #expect(try await first.value == "a:2")
        #expect(try await queued[0].value == "a:4")
        await #expect(throws: Odd(item: 5)) { try await queued[1].value }
        #expect(try await queued[2].value == "a:6")
        #expect(await recorder.batches.map(\.items) == [[0], [2], [4, 5, 6]])
        #expect(queue.statistics == .init(batches: 3, items: 5, largest: 3))
        #expect(queue.queued(for: "a") == 0)
    }

    @Test("a batch takes at most maxBatch items; the rest wait for the next, still in order")
    func boundedBatches() async throws {
        let recorder = Recorder()
        let sizes = Mutex<[Int]>([])
        let queue = BatchQueue<String, Int, String>(maxBatch: 3, observe: { size in sizes.withLock { $0.append(size) } }) { key, items in
            await recorder.run(key, items)
        }
        #expect(queue.pause("k"))
        var tasks: [Task<String, any Error>] = []
        for item in stride(from: 0, through: 14, by: 2) {
            tasks.append(Task { try await queue.submit(item, for: "k") })
            try await eventually { queue.queued(for: "k") == tasks.count }
        }
        queue.resume("k")
        for (index, task) in tasks.enumerated() {
            #expect(try await task.value == "k:\(index * 2)")
        }
        #expect(await recorder.batches.map(\.items) == [[0, 2, 4], [6, 8, 10], [12, 14]])
        #expect(sizes.withLock { $0 } == [3, 3, 2])
    }

    @Test("keys are independent: one key's running batch does not hold back another's")
    func independentKeys() async throws {
        let recorder = Recorder()
        let queue = BatchQueue<String, Int, String>(maxBatch: 10) { key, items in await recorder.run(key, items) }
        #expect(queue.pause("slow"))
        let waiting = Task { try await queue.submit(2, for: "slow") }
        try await eventually { queue.queued(for: "slow") == 1 }
        #expect(try await queue.submit(4, for: "fast") == "fast:4")
        #expect(queue.pause("slow") == false, "a paused key counts as busy")
        queue.resume("slow")
        #expect(try await waiting.value == "slow:2")
    }
}
