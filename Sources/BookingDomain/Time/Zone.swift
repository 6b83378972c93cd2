import Foundation

/// An IANA time zone, asked only what the periods need: the offset from UTC at an instant, and which
/// instants a local wall time names. Instants are seconds since 1970-01-01 UTC.
///
/// A wall time names one instant on most days; none when it falls in a gap (the hour skipped when clocks
/// go forward); two when it falls in an overlap (the hour that happens twice when clocks go back), told
/// apart by their offsets. The rules assume at most one change of offset within a day of any instant,
/// which holds for every zone in the tz database.
public struct Zone: Hashable, Sendable, CustomStringConvertible {
    public let identifier: String
    private let timeZone: TimeZone

    /// Nil unless `identifier` names a zone of the tz database as an area and place (`Europe/Berlin`) or is
    /// `UTC`; abbreviations such as `CET` or offsets such as `GMT+1` are not zones a schedule can follow.
    public init?(identifier: String) {
        // Foundation answers UTC as GMT, and an offset such as GMT+1 under another name (GMT+0100).
        guard identifier == "UTC" || identifier.contains("/"), let timeZone = TimeZone(identifier: identifier),
              identifier == "UTC" || timeZone.identifier == identifier
        else { return nil }
        self.identifier = identifier
        self.timeZone = timeZone
    }

    public var description: String { identifier }

    public static func == (lhs: Zone, rhs: Zone) -> Bool { lhs.identifier == rhs.identifier }
    public func hash(into hasher: inout Hasher) { hasher.combine(identifier) }

    /// Seconds east of UTC at `instant`.
    public func offset(at instant: Int64) -> Int {
        timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(instant)))
    }

    /// The instants at which the wall clock reads `minutes` after midnight on `date` (`minutes` may be 1440:
    /// the next day's midnight), earliest first: none in a gap, two in an overlap.
    public func instants(of date: LocalDate, at minutes: Int) -> [Int64] {
        let wall = Self.wall(date, minutes)
        let before = offset(at: wall - 86_400), after = offset(at: wall + 86_400)
        return Set([before, after]).map { wall - Int64($0) }.filter { Int64(offset(at: $0)) == wall - $0 }.sorted()
    }

    /// The first instant at which the wall clock reads `minutes` after midnight on `date` or later: the
    /// earliest of ``instants(of:at:)``, or in a gap the instant the clocks jump past it.
    public func firstInstant(atOrAfter date: LocalDate, _ minutes: Int) -> Int64 {
        if let first = instants(of: date, at: minutes).first { return first }
        // In a gap: the offset changes from `before` to `after` (larger) somewhere in (wall - after, wall - before].
        let wall = Self.wall(date, minutes)
        var low = wall - Int64(offset(at: wall + 86_400)), high = wall - Int64(offset(at: wall - 86_400))
        let old = offset(at: low)
        while high - low > 1 {
            let middle = low + (high - low) / 2
            if offset(at: middle) == old { low = middle } else { high = middle }
        }
        return high
    }

    /// The local date and minute of the day (with seconds dropped) at `instant`.
    public func wallTime(at instant: Int64) -> (date: LocalDate, minutes: Int) {
        let (date, second) = LocalDate.split(instant + Int64(offset(at: instant)))
        return (date, second / 60)
    }

    /// A wall time as seconds, as if the zone were UTC.
    static func wall(_ date: LocalDate, _ minutes: Int) -> Int64 {
        date.dayNumber * 86_400 + Int64(minutes) * 60
    }
}
