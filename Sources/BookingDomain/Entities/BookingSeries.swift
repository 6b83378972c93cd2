import Foundation

/// A recurring booking: one first occurrence repeated by a ``RecurrenceRule`` in the resource's local
/// time, each occurrence an ordinary ``Booking`` (its `seriesID` set) made under the same checks as any
/// other, all in one transaction under the resource's lock.
public struct BookingSeries: Sendable, Equatable {
    /// What a series does when some occurrences cannot be booked.
    public enum OnConflict: String, Sendable, CaseIterable {
        /// Every occurrence is booked, or none is.
        case fail
        /// The occurrences that fit are booked; the others are reported.
        case skip
    }

    /// One occurrence, as the series stands.
    public struct Occurrence: Sendable, Equatable {
        public enum Status: String, Sendable, CaseIterable {
            case booked, cancelled, skipped
        }

        public let start: String
        public let end: String
        /// The occurrence's booking; nil when it was skipped.
        public let bookingID: Int?
        public let status: Status
        /// Why a skipped occurrence was not booked, in the answer that made the series (not kept after).
        public let refusal: AppError?

        public init(start: String, end: String, bookingID: Int?, status: Status, refusal: AppError? = nil) {
            self.start = start
            self.end = end
            self.bookingID = bookingID
            self.status = status
            self.refusal = refusal
        }
    }

    public let id: Int
    public let resourceID: Int
    public let resourceName: String
    public let userID: Int
    public let quantity: Int
    public let rrule: String
    public let onConflict: OnConflict
    public let createdAt: Date
    /// In time order, the first first.
    public let occurrences: [Occurrence]

    public init(id: Int, resourceID: Int, resourceName: String, userID: Int, quantity: Int, rrule: String, onConflict: OnConflict,
                createdAt: Date, occurrences: [Occurrence]) {
        self.id = id
        self.resourceID = resourceID
        self.resourceName = resourceName
        self.userID = userID
        self.quantity = quantity
        self.rrule = rrule
        self.onConflict = onConflict
        self.createdAt = createdAt
        self.occurrences = occurrences
    }

    /// What the series refuses, given each occurrence's outcome (in order), or nil when it goes ahead:
    /// `fail` refuses on any refusal, naming every refused occurrence; `skip` goes ahead with the ones that
    /// fit, but not with none at all (a series that books nothing is refused the same way, not created).
    public static func verdict(_ onConflict: OnConflict, _ outcomes: [(start: String, end: String, refusal: AppError?)]) -> AppError? {
        let refused = outcomes.compactMap { outcome in outcome.refusal.map { OccurrenceRefusal(start: outcome.start, end: outcome.end, error: $0) } }
        guard !refused.isEmpty else { return nil }
        switch onConflict {
        case .fail: return .seriesRefused(refused)
        case .skip: return refused.count == outcomes.count ? .seriesRefused(refused) : nil
        }
    }
}

/// An occurrence of a series that cannot be booked, and why.
public struct OccurrenceRefusal: Sendable, Equatable {
    public let start: String
    public let end: String
    public let error: AppError

    public init(start: String, end: String, error: AppError) {
        self.start = start
        self.end = end
        self.error = error
    }
}

/// A series to book, validated: what ``Inventory/bookSeries(_:at:completing:)`` takes.
public struct SeriesRequest: Sendable, Equatable {
    public let resource: ResourceReference
    public let quantity: Int
    /// The first occurrence.
    public let first: PeriodRange
    public let rule: RecurrenceRule
    public let onConflict: BookingSeries.OnConflict
    public let userID: Int

    public init(resource: ResourceReference, quantity: Int, first: PeriodRange, rule: RecurrenceRule, onConflict: BookingSeries.OnConflict,
                userID: Int) {
        self.resource = resource
        self.quantity = quantity
        self.first = first
        self.rule = rule
        self.onConflict = onConflict
        self.userID = userID
    }
}
