import Synchronization

/// Shares one read among every caller that asks for it at about the same time, without ever handing a
/// caller a result older than its own request.
///
/// At most one read runs at a time. A caller arriving while none runs reads, in its own task, for itself.
/// A caller arriving while one runs does not join it (that read may have looked at the data before the
/// caller's own write committed); it joins the group waiting for the next read, which all such callers
/// share: when the running read ends, the first of the group reads for all of them. So every answer comes
/// from a read that began after the caller arrived: what a plain read would give, done once for many
/// callers instead of once each. No task is made and no executor is hopped to: a caller alone reads at
/// once, a caller in a group is suspended once and resumed once.
public final class FreshReadCoalescer<Value: Sendable>: Sendable {
    /// What a caller waiting in a group is resumed with: read for the others, or the group's result.
    private enum Turn: Sendable {
        case read(for: [Waiter])
        case done(Result<Value, any Error>)
    }
    private typealias Waiter = CheckedContinuation<Turn, Never>

    private struct State {
        var reading = false
        /// The callers that arrived while a read ran, in order: they share the next read.
        var group: [Waiter] = []
    }
    private let state = Mutex(State())

    public init() {}

    /// Callers waiting for the next read (for tests and diagnostics).
    public var callersQueued: Int { state.withLock { $0.group.count } }

    public func value(_ read: () async throws -> Value) async throws -> Value {
        let alone = state.withLock { state in
            if state.reading { return false }
            state.reading = true
            return true
        }
        if alone { return try await self.read(read, for: []) }
        let turn = await withCheckedContinuation { (waiter: Waiter) in
            // The running read may have ended since: then this caller reads, alone, at once.
            let startNow = state.withLock { state in
                if !state.reading {
                    state.reading = true
                    return true
                }
                state.group.append(waiter)
                return false
            }
            if startNow { waiter.resume(returning: .read(for: [])) }
        }
        switch turn {
        case .read(let others):
            return try await self.read(read, for: others)
        case .done(let result):
            return try result.get()
        }
    }

    /// Reads for this caller and `others`, gives them the result, then hands reading on to the group that
    /// gathered meanwhile (its first caller reads for the rest), or stops.
    private func read(_ read: () async throws -> Value, for others: [Waiter]) async throws -> Value {
        let result: Result<Value, any Error>
        do {
            result = .success(try await read())
        } catch {
            result = .failure(error)
        }
        for waiter in others { waiter.resume(returning: .done(result)) }
        let next = state.withLock { state in
            defer { state.group = [] }
            if state.group.isEmpty { state.reading = false }
            return state.group
        }
        if let first = next.first { first.resume(returning: .read(for: Array(next.dropFirst()))) }
        return try result.get()
    }
}
