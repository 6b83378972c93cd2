/// Serves work for a key in batches (group commit in the application): a caller arriving while its key's
/// batch runs waits and is served by the next batch, together with every caller that arrived meanwhile, in
/// arrival order and at most `maxBatch` at a time; a caller arriving when its key is idle starts a batch of
/// one at once. Nobody waits for a batch to fill: the time a caller waits is at most the batch running
/// when it arrived (and, past `maxBatch` callers ahead of it, the batches that serve those).
///
/// `run` gets a key and its callers' items and answers one result per item, in order; each caller gets
/// its own. Keys are independent: batches of different keys run at the same time.
public actor BatchQueue<Key: Hashable & Sendable, Item: Sendable, Outcome: Sendable> {
    public typealias Run = @Sendable (Key, [Item]) async -> [Result<Outcome, any Error>]

    /// `run` answered fewer results than it was given items (a bug in `run`).
    public struct MissingOutcome: Error {
        public init() {}
    }

    private struct Waiter {
        let item: Item
        let continuation: CheckedContinuation<Outcome, any Error>
    }

    private let maxBatch: Int
    private let run: Run
    /// Keys with a batch running, and the callers waiting for the next one.
    private var waiting: [Key: [Waiter]] = [:]

    /// What has been run so far (for tests, metrics and diagnostics).
    public struct Statistics: Sendable, Equatable {
        public var batches = 0
        public var items = 0
        public var largest = 0
    }

    public private(set) var statistics = Statistics()
    private let observe: @Sendable (Int) -> Void

    /// `observe` hears the size of every batch as it starts.
    public init(maxBatch: Int, observe: @escaping @Sendable (Int) -> Void = { _ in }, run: @escaping Run) {
        precondition(maxBatch > 0, "a batch holds at least one item")
        self.maxBatch = maxBatch
        self.observe = observe
        self.run = run
    }

    /// Submits `item` for `key` and returns its outcome once a batch has served it.
    public func submit(_ item: Item, for key: Key) async throws -> Outcome {
        try await withCheckedThrowingContinuation { continuation in
            let waiter = Waiter(item: item, continuation: continuation)
            if waiting[key] != nil {
                waiting[key]?.append(waiter)
            } else {
                waiting[key] = [waiter]
                Task { await self.drain(key) }
            }
        }
    }

    /// Holds `key`'s batches back until ``resume(_:)``: callers queue as if a batch were running (for tests
    /// that line a batch up). false if a batch of `key` is running.
    public func pause(_ key: Key) -> Bool {
        guard waiting[key] == nil else { return false }
        waiting[key] = []
        return true
    }

    /// Serves the callers queued while `key` was paused.
    public func resume(_ key: Key) {
        Task { await self.drain(key) }
    }

    /// The callers waiting for `key`'s next batch, the one running not included (for tests).
    public func queued(for key: Key) -> Int {
        waiting[key]?.count ?? 0
    }

    /// Runs `key`'s batches until nobody waits; the key is idle again after.
    private func drain(_ key: Key) async {
        while let queue = waiting[key], !queue.isEmpty {
            let batch = Array(queue.prefix(maxBatch))
            waiting[key] = Array(queue.dropFirst(batch.count))
            statistics.batches += 1
            statistics.items += batch.count
            statistics.largest = max(statistics.largest, batch.count)
            observe(batch.count)
            // Callers arriving while this runs queue behind it.
            let outcomes = await run(key, batch.map(\.item))
            for (index, waiter) in batch.enumerated() {
                waiter.continuation.resume(with: index < outcomes.count ? outcomes[index] : .failure(MissingOutcome()))
            }
        }
        waiting[key] = nil
    }
}
