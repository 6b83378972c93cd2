import Synchronization

/// Resumes a continuation with the first value given; later ones are dropped. For racing work that may
/// not notice cancellation (a blocking lookup, a peer that dribbles) against a time limit, without
/// waiting for the loser.
public final class FirstAnswer<Value: Sendable>: Sendable {
    private let pending: Mutex<CheckedContinuation<Value, Never>?>

    private init(_ continuation: CheckedContinuation<Value, Never>) {
        pending = Mutex(continuation)
    }

    public func give(_ value: Value) {
        pending.withLock { continuation in
            defer { continuation = nil }
            return continuation
        }?.resume(returning: value)
    }

    /// `work`'s value if it comes within `limit`; otherwise nil at `limit`, with `work` left running on its
    /// own task (cancel what it drives from the caller if it must stop).
    public static func race<Answer: Sendable>(_ work: @escaping @Sendable () async -> Answer, orAfter limit: Duration) async -> Answer?
    where Value == Answer? {
        await withCheckedContinuation { continuation in
            let answer = FirstAnswer<Answer?>(continuation)
            let timer = Task {
                try? await Task.sleep(for: limit)
                answer.give(nil)
            }
            Task {
                answer.give(await work())
                timer.cancel()
            }
        }
    }
}
