import Foundation

/// Where every rule that depends on the time reads it: token lifetimes, throttle windows, Idempotency-Key
/// leases and lifetimes, housekeeping, and hold expiry.
///
/// The app's clock is authoritative, not the database's. Every timestamp a rule compares was written by
/// the same kind of clock (a replica's `now()`), so tests can move time by moving this clock instead of
/// backdating rows, and the rules read the same on SQLite and PostgreSQL. The price is that replicas must
/// keep their clocks in step (NTP): a replica whose clock runs `d` seconds ahead sees a deadline `d`
/// seconds early. Every time rule here has a margin far above NTP's milliseconds (the shortest is the
/// 10-second Idempotency-Key lease), and no invariant about stock depends on time at all: a skewed clock
/// can end a window early or late, never book a unit twice.
///
/// Holds follow the same rule rather than PostgreSQL's `now()`: whether a hold has lapsed is decided with
/// this clock, but always under the resource's row lock and written down there (status `expired`), so
/// replicas whose clocks differ by `d` can disagree only about *when* in a window of `d` a hold lapsed,
/// never about whether its units are held or free once one of them has decided. Tests set the clock to a
/// hold's `expires_at` minus 1 ms and to `expires_at` exactly, on both databases.
public protocol WallClock: Sendable {
    func now() -> Date
}

/// The system's clock: what production runs on.
public struct SystemClock: WallClock {
    public init() {}

    public func now() -> Date { Date() }
}
