/// The periods one booking, hold or request takes units in: a pool's ``whole``, or a dated resource's
/// run of consecutive days, nights or slots, with the range as the client wrote it.
public struct Span: Sendable, Hashable {
    /// The periods, in key order (the order their stock is written in).
    public let keys: [PeriodKey]
    /// Where the run lies, as stored with the record; nil for a pool.
    public let range: TakenRange?

    public init(keys: [PeriodKey], range: TakenRange?) {
        self.keys = keys.sorted()
        self.range = range
    }

    /// A pool's one period.
    public static let whole = Span(keys: [.whole], range: nil)

    /// Whether it shares a period with `other` (a pool's spans always do).
    public func overlaps(_ other: Span) -> Bool {
        guard let range, let otherRange = other.range else { return true }
        return range.overlaps(otherRange)
    }
}

/// A dated record's run of periods as stored: the kind, the bounds of the periods' keys (`from` the
/// first's index, `to` past the last: the day after, or a slot's end in minutes since 1970), and the
/// range as the client sees it (`start` and `end`: dates, or RFC 3339 times with the zone's offset).
/// Two records share a period exactly when their bounds overlap (`from < other.to && other.from < to`).
public struct TakenRange: Sendable, Hashable {
    public let kind: PeriodKey.Kind
    public let from: Int64
    public let to: Int64
    public let start: String
    public let end: String

    public init(kind: PeriodKey.Kind, from: Int64, to: Int64, start: String, end: String) {
        self.kind = kind
        self.from = from
        self.to = to
        self.start = start
        self.end = end
    }

    /// Whether it shares a period with `other`.
    public func overlaps(_ other: TakenRange) -> Bool {
        kind == other.kind && from < other.to && other.from < to
    }

    /// Whether `key` is one of its periods.
    public func contains(_ key: PeriodKey) -> Bool {
        key.kind == kind && from <= key.index && key.index < to
    }
}

/// A period short of units for a request: where it lies and what was left in it.
public struct PeriodShortfall: Sendable, Hashable {
    public let start: String
    public let end: String
    public let available: Int

    public init(start: String, end: String, available: Int) {
        self.start = start
        self.end = end
        self.available = available
    }
}
