import Foundation

/// A sliding window over recorded attempts (failed logins, anonymous sign-ups): only attempts made within
/// `length` of now count, and a refused client learns when the oldest of them leaves the window.
public struct ThrottleWindow: Sendable {
    public let length: TimeInterval

    public init(length: TimeInterval) {
        self.length = length
    }

    /// Attempts made at or before this moment no longer count, so a client that waits its `Retry-After`
    /// is let in.
    public func start(at now: Date) -> Date {
        now.addingTimeInterval(-length)
    }

    /// Whole seconds, at least 1, until the window has moved past `oldest` (the `Retry-After` a refused
    /// client gets).
    public func retryAfter(oldest: Date?, now: Date) -> Int {
        let reopens = (oldest ?? now).addingTimeInterval(length)
        return max(1, Int(reopens.timeIntervalSince(now).rounded(.up)))
    }
}
