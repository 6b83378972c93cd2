import BookingDomain
import Foundation
import Synchronization

/// A wall clock that only moves when a test moves it, so time-based rules (expiry, throttle windows,
/// leases) are tested by moving time instead of sleeping or backdating rows.
final class ManualClock: WallClock {
    private let current: Mutex<Date>

    /// Starts at `start`, by default the present moment cut to a whole second, so timestamps survive
    /// SQLite's floating-point storage exactly and differences between them are whole seconds.
    init(_ start: Date = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))) {
        current = Mutex(start)
    }

    func now() -> Date {
        current.withLock { $0 }
    }

    /// Moves the clock to `date` exactly (advancing by a difference can miss it by a rounding error).
    func set(_ date: Date) {
        current.withLock { $0 = date }
    }

    func advance(by seconds: TimeInterval) {
        current.withLock { $0 = $0.addingTimeInterval(seconds) }
    }
}
