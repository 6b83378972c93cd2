/// Which part of a resource's time a unit of stock belongs to: stock is kept per resource and period.
///
/// A pool resource (the seed's model: one counter) has a single period, ``whole``. A resource with
/// capacity in time has one per day, night or slot: one more ``Kind``, with its ``index`` (a day's
/// number, a slot's start), and the same decisions, locks and records as a pool's.
///
/// Keys order by kind, then index: the order in which a transaction locks the periods of one resource
/// (after the resource's own row), so that two requests for overlapping periods can never deadlock.
public struct PeriodKey: Hashable, Comparable, Sendable, CustomStringConvertible {
    public enum Kind: Int, Sendable, Comparable, CaseIterable {
        /// The resource's only period: its stock is the resource's own.
        case whole = 0
        /// A local calendar day; the index is its ``LocalDate/dayNumber``.
        case day = 1
        /// A night, named by its check-in date; the index is that date's ``LocalDate/dayNumber``.
        case night = 2
        /// A slot; the index is its start in minutes since 1970-01-01 UTC (so the two slots of an hour that
        /// happens twice have two keys).
        case slot = 3

        public static func < (lhs: Kind, rhs: Kind) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    public let kind: Kind
    /// The period's place among those of its kind (0 for ``whole``).
    public let index: Int64

    public init(kind: Kind, index: Int64) {
        self.kind = kind
        self.index = index
    }

    /// A pool's one period.
    public static let whole = PeriodKey(kind: .whole, index: 0)

    public static func < (lhs: PeriodKey, rhs: PeriodKey) -> Bool {
        (lhs.kind, lhs.index) < (rhs.kind, rhs.index)
    }

    public var description: String { kind == .whole ? "whole" : "\(kind):\(index)" }
}
