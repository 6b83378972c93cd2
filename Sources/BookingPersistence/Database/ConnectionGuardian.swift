import CoreMetrics
import Foundation
import NIOCore
import Synchronization

/// What the pool's connections go through, for the operator: connections this process closed on purpose
/// (a statement past its deadline, or refused by a read-only server after a failover), and outages: from
/// the first statement that failed because the database was unavailable to the next one that succeeded
/// (`booking_database_outages_total`, `booking_database_last_outage_seconds`), which is how long this
/// process took to reach the database again, a new primary included.
public final class ConnectionGuardian: Sendable {
    public enum DropReason: String, CaseIterable, Sendable {
        /// A statement had no answer within `DATABASE_STATEMENT_TIMEOUT`.
        case deadline
        /// The server refused a write as read-only: it is no longer the primary.
        case readOnly = "read_only"
    }

    /// The longest a statement may wait for its answer.
    let statementTimeout: TimeAmount
    private let drops: [DropReason: Counter]
    private let outages: Counter
    private let lastOutage: Gauge
    /// When the current outage began, in nanoseconds of the continuous clock since `origin`; 0 while up.
    private let downSince = Atomic<Int64>(0)
    private let origin = ContinuousClock.now

    public init(statementTimeout: TimeInterval, factory: any MetricsFactory) {
        self.statementTimeout = .milliseconds(Int64(statementTimeout * 1000))
        drops = Dictionary(uniqueKeysWithValues: DropReason.allCases.map {
            ($0, Counter(label: "booking_database_connections_dropped_total", dimensions: [("reason", $0.rawValue)], factory: factory))
        })
        outages = Counter(label: "booking_database_outages_total", factory: factory)
        lastOutage = Gauge(label: "booking_database_last_outage_seconds", factory: factory)
    }

    func dropped(_ reason: DropReason) {
        drops[reason]?.increment()
    }

    /// Notes how a statement ended: an outage begins at the first one the database was unavailable for,
    /// and ends at the next that succeeds.
    func record(_ result: Result<Void, any Error>) {
        switch result {
        case .success:
            let since = downSince.load(ordering: .relaxed)
            guard since != 0, downSince.compareExchange(expected: since, desired: 0, ordering: .relaxed).exchanged else { return }
            outages.increment()
            lastOutage.record(Double(now() - since) / 1e9)
        case .failure(let error):
            guard StorageFailure.isUnavailable(error) else { return }
            _ = downSince.compareExchange(expected: 0, desired: max(1, now()), ordering: .relaxed)
        }
    }

    private func now() -> Int64 {
        let elapsed = origin.duration(to: .now)
        return elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000
    }
}
