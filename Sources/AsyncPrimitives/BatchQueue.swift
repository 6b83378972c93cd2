import Synchronization

/// Serves work for a key in batches (group commit in the application): a caller arriving while its key's
/// batch runs waits and is served by the next batch, together with every caller that arrived meanwhile, in
/// arrival order and at most `maxBatch` at a time; a caller arriving when its key is idle runs a batch of
/// one at once, on its own task (no hop to another task, so the idle case costs one lock). Nobody waits
/// for a batch to fill: the time a caller waits is at most the batch running when it arrived (and, past
/// `maxBatch` callers ahead of it, the batches that serve those).
///
/// `run` gets a key and its callers' items and answers one result per item, in order; each caller gets
/// its own. Keys are independent: batches of different keys run at the same time.
public final class BatchQueue<Key: Hashable & Sendable, Item: Sendable, Outcome: Sendable>: Sendable {
    public typealias Run = @Sendable (Key, [Item]) async -> [Result<Outcome, any Error>]

    /// `run` answered fewer results than it was given items (a bug in `run`).
    public struct MissingOutcome: Error {
        public init() {}
    }

    /// What has been run so far (for tests, metrics and diagnostics).
    public struct Statistics: Sendable, Equatable {
        public var batches = 0
        public var items = 0
        public var largest = 0
    }

    private struct Waiter: Sendable {
        let item: Item
        let continuation: CheckedContinuation<Outcome, any Error>
    }

    private struct State: Sendable {
        /// Keys with a batch running (or paused), and the callers waiting for the next one.
        var waiting: [Key: [Waiter]] = [:]
        var statistics = Statistics()

        mutating func started(_ size: Int) {
            statistics.batches += 1
            statistics.items += size
            statistics.largest = max(statistics.largest, size)
        }
    }

    private let maxBatch: Int
    private let run: Run
    private let observe: @Sendable (Int) -> Void
    private let state = Mutex(State())

    /// `observe` hears the size of every batch as it starts.
    public init(maxBatch: Int, observe: @escaping @Sendable (Int) -> Void = { _ in }, run: @escaping Run) {
        precondition(maxBatch > 0, "a batch holds at least one item")
        self.maxBatch = maxBatch
        self.observe = observe
        self.run = run
    }

    public var statistics: Statistics { state.withLock { $0.statistics } }

    /// Submits `item` for `key` and returns its outcome once a batch has served it.
    public func submit(_ item: Item, for key: Key) async throws -> Outcome {
        let idle = state.withLock { state in
            guard state.waiting[key] == nil else { return false }
            state.waiting[key] = []
            state.started(1)
            return true
        }
        if idle {
            observe(1)
            let outcome = await run(key, [item]).first ?? .failure(MissingOutcome())
            finishRun(of: key)
            return try outcome.get()
        }
        return try await withCheckedThrowingContinuation { continuation in
            let waiter = Waiter(item: item, continuation: continuation)
            let startDrain = state.withLock { state in
                guard state.waiting[key] != nil else {
                    // The batch it found running has ended meanwhile: it starts the next one itself.
                    state.waiting[key] = [waiter]
                    return true
                }
                state.waiting[key]?.append(waiter)
                return false
            }
            if startDrain { Task { await self.drain(key) } }
        }
    }

    /// Holds `key`'s batches back until ``resume(_:)``: callers queue as if a batch were running (for tests
    /// that line a batch up). false if a batch of `key` is running.
    public func pause(_ key: Key) -> Bool {
        state.withLock { state in
            guard state.waiting[key] == nil else { return false }
            state.waiting[key] = []
            return true
        }
    }

    /// Serves the callers queued while `key` was paused.
    public func resume(_ key: Key) {
        Task { await self.drain(key) }
    }

    /// The callers waiting for `key`'s next batch, the one running not included (for tests).
    public func queued(for key: Key) -> Int {
        state.withLock { $0.waiting[key]?.count ?? 0 }
    }

    /// A batch of `key` has ended: the callers that queued meanwhile get a drain of their own; else the key is idle.
    private func finishRun(of key: Key) {
        let more = state.withLock { state in
            guard state.waiting[key]?.isEmpty == false else {
                state.waiting[key] = nil
                return false
            }
            return true
        }
        if more { Task { await self.drain(key) } }
    }

    /// Runs `key`'s batches until nobody waits; the key is idle again after.
    private func drain(_ key: Key) async {
        while true {
            let batch: [Waiter]? = state.withLock { state in
                guard let queue = state.waiting[key], !queue.isEmpty else {
                    state.waiting[key] = nil
                    return nil
                }
                let batch = Array(queue.prefix(maxBatch))
                state.waiting[key] = Array(queue.dropFirst(batch.count))
                state.started(batch.count)
                return batch
            }
            guard let batch else { return }
            observe(batch.count)
            // Callers arriving while this runs queue behind it.
            // A closure, not `\.item`: in this generic type a key path is built anew on every batch.
            let outcomes = await run(key, batch.map { $0.item })
            for (index, waiter) in batch.enumerated() {
                waiter.continuation.resume(with: index < outcomes.count ? outcomes[index] : .failure(MissingOutcome()))
            }
        }
    }
}
