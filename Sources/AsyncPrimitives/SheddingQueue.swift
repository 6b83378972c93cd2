/// Runs work at most `permits` at a time, first come first served, and refuses at once a caller that
/// would wait longer than `maxWait`, instead of letting a flood queue without end (load shedding).
///
/// The wait is estimated from the callers ahead and how long a run has been taking lately (a moving
/// average), so the refusal comes before any waiting, and what a refused caller is told to wait
/// (`Overloaded.retryAfter`) is the same estimate.
///
/// A caller may ask to go `first`: it waits only behind the other `first` callers, ahead of every ordinary
/// one, and is refused only when those going first ahead of it already fill `maxWait` (the runs in hand
/// it waits for in any case): a flood of ordinary work can neither refuse nor delay it beyond them. The
/// ordinary callers it passes wait longer; they were admitted on an estimate, not a promise.
public actor SheddingQueue {
    /// The queue was too long; try again after about `retryAfter` seconds.
    public struct Overloaded: Error, Sendable, Equatable {
        public let retryAfter: Int
    }

    private let permits: Int
    private let maxWait: Double
    private var running = 0
    private var waiters: [CheckedContinuation<Void, Never>] = []
    private var firstWaiters: [CheckedContinuation<Void, Never>] = []
    /// Seconds a run has taken lately; nil until one has finished (or a first guess was given).
    private(set) var averageRun: Double?
    /// A monotonic reading that runs are timed with.
    private nonisolated let now: @Sendable () -> Duration

    /// - Parameters:
    ///   - typicalRun: a first guess at how long a run takes, used until one has finished; without it nobody
    ///     is refused before the first run ends.
    ///   - now: the time runs are measured by, from any fixed origin (the continuous clock; a test's own).
    public init(permits: Int, maxWait: Duration, typicalRun: Duration? = nil,
                now: @escaping @Sendable () -> Duration = SheddingQueue.continuousTime) {
        precondition(permits > 0, "a queue needs at least one permit")
        self.permits = permits
        self.maxWait = maxWait.seconds
        self.now = now
        averageRun = typicalRun?.seconds
    }

    /// The continuous clock's time since the process first asked.
    public static let continuousTime: @Sendable () -> Duration = {
        let origin = ContinuousClock.now
        return { origin.duration(to: .now) }
    }()

    /// Runs `work` when a permit is free, or throws ``Overloaded`` at once if that would take longer than
    /// the queue allows.
    public nonisolated func run<T: Sendable>(first: Bool = false, _ work: @Sendable () async throws -> T) async throws -> T {
        try await enter(first: first)
        let started = now()
        do {
            let result = try await work()
            await leave(after: now() - started)
            return result
        } catch {
            await leave(after: now() - started)
            throw error
        }
    }

    /// How long an ordinary caller arriving now would wait, in seconds.
    public var estimatedWait: Double { estimatedWait(first: false) }

    /// How long a caller arriving now would wait, in seconds: for one going first, only the wait for
    /// those going first ahead of it.
    public func estimatedWait(first: Bool) -> Double {
        guard running >= permits, let averageRun else { return 0 }
        if first {
            return Double(firstWaiters.count / permits) * averageRun
        }
        // Callers ahead of it, served `permits` at a time, each about `averageRun`, after the runs in hand.
        return Double((firstWaiters.count + waiters.count) / permits + 1) * averageRun
    }

    private func enter(first: Bool) async throws {
        if running < permits, waiters.isEmpty, firstWaiters.isEmpty {
            running += 1
            return
        }
        let wait = estimatedWait(first: first)
        if wait > maxWait {
            throw Overloaded(retryAfter: max(1, Int(wait.rounded(.up))))
        }
        await withCheckedContinuation { continuation in
            if first { firstWaiters.append(continuation) } else { waiters.append(continuation) }
        }
    }

    private func leave(after elapsed: Duration) {
        let seconds = elapsed.seconds
        averageRun = averageRun.map { 0.8 * $0 + 0.2 * seconds } ?? seconds
        // The permit passes straight to the next in line, those going first before the others.
        if !firstWaiters.isEmpty {
            firstWaiters.removeFirst().resume()
        } else if !waiters.isEmpty {
            waiters.removeFirst().resume()
        } else {
            running -= 1
        }
    }
}

extension Duration {
    fileprivate var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
