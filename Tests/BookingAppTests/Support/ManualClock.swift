import BookingDomain
import Foundation
import Synchronization

/// A wall clock that only moves when a test moves it, so time-based rules (expiry, throttle windows,
/// leases) are tested by moving time instead of sleeping or backdating rows.
final class ManualClock: WallClock {
    private let current: Mutex<Date>

    init(_ start: Date = Date()) {
        current = Mutex(start)
    }

    func now() -> Date {
        current.withLock { $0 }
    }

    func advance(by seconds: TimeInterval) {
        current.withLock { $0 = $0.addingTimeInterval(seconds) }
    }
}
