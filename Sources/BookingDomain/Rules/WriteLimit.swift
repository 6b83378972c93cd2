import Foundation

/// How many bookings, holds and waiting-list joins one user may ask for in a minute (`USER_WRITES_PER_MINUTE`),
/// counted in fixed one-minute windows by one atomic statement per request, so the count holds however
/// many requests arrive at once and on however many servers. Admins are not counted.
public struct WriteLimit: Sendable, Equatable {
    /// Writes allowed per user per window; nil for no limit.
    public let perWindow: Int?
    public static let window: TimeInterval = 60

    public init(perMinute: Int?) {
        self.perWindow = perMinute
    }

    /// The start of the window `now` falls in.
    public static func windowStart(at now: Date) -> Date {
        Date(timeIntervalSince1970: (now.timeIntervalSince1970 / window).rounded(.down) * window)
    }

    /// Seconds until the window `now` falls in ends (at least 1).
    public static func retryAfter(at now: Date) -> Int {
        max(1, Int((windowStart(at: now).addingTimeInterval(window).timeIntervalSince(now)).rounded(.up)))
    }
}
