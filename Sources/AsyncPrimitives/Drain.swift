import Synchronization

/// Counts work in progress (requests being served) so that a shutdown can wait for it: once closed, it
/// admits nothing new, and ``drained(within:)`` returns when the work in hand has ended or the time is up.
public final class Drain: Sendable {
    private struct State {
        var inProgress = 0
        var closed = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())

    public init() {}

    /// Admits one piece of work, or refuses it (false) once the drain has begun. Each admitted piece must
    /// be followed by exactly one ``leave()``.
    public func enter() -> Bool {
        state.withLock { state in
            guard !state.closed else { return false }
            state.inProgress += 1
            return true
        }
    }

    public func leave() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.inProgress -= 1
            guard state.closed, state.inProgress == 0 else { return [] }
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Work admitted and not yet ended.
    public var inProgress: Int { state.withLock { $0.inProgress } }

    /// Whether the drain has begun (nothing new is admitted).
    public var isClosed: Bool { state.withLock { $0.closed } }

    /// Admits nothing more, then waits until the work in hand has ended or `limit` has passed; returns the
    /// pieces still in progress (0 when drained).
    @discardableResult
    public func drained(within limit: Duration) async -> Int {
        let done = state.withLock { state in
            state.closed = true
            return state.inProgress == 0
        }
        guard !done else { return 0 }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.waitUntilEmpty() }
            group.addTask { try? await Task.sleep(for: limit) }
            await group.next()
            group.cancelAll()
            // The waiter does not end on cancellation: wake it by hand if the time ran out first.
            self.wakeWaiters()
        }
        return inProgress
    }

    private func waitUntilEmpty() async {
        await withCheckedContinuation { continuation in
            let ready = state.withLock { state in
                if state.inProgress == 0 { return true }
                state.waiters.append(continuation)
                return false
            }
            if ready { continuation.resume() }
        }
    }

    private func wakeWaiters() {
        let waiters = state.withLock { state in
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }
}
