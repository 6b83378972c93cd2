import Foundation

/// The service-wide settings that decide takes beside a resource's own limits: how long offers last, and
/// how many units one user may hold of a resource that sets no `max_per_user`.
public struct StockPolicy: Sendable, Equatable {
    /// How long an offer made to an entry that waited lasts (`WAITLIST_OFFER_TTL`).
    public var offerTTL: TimeInterval
    /// How long an offer made the moment its entry joined lasts: nobody waited, so it is an ordinary hold
    /// and lasts no longer than one (`HOLD_TTL`, or `WAITLIST_OFFER_TTL` if that is shorter).
    public var immediateOfferTTL: TimeInterval
    /// The most units one user may hold (holds and offers together) of a resource without `max_per_user`
    /// (`MAX_HELD_PER_USER`); nil for no such bound. A resource's `max_per_user` replaces it.
    public var maxHeldPerUser: Int?

    public init(offerTTL: TimeInterval = 1800, holdTTL: TimeInterval = 600, maxHeldPerUser: Int? = 10) {
        self.offerTTL = offerTTL
        self.immediateOfferTTL = min(holdTTL, offerTTL)
        self.maxHeldPerUser = maxHeldPerUser
    }

    /// The most units a user may ask for in one waiting-list entry of a resource with `limits`: what they
    /// could hold, since its offer is a hold (`max_per_user`, else ``maxHeldPerUser``); nil for no bound.
    public func maxEntryQuantity(under limits: UserLimits) -> Int? {
        limits.maxPerUser ?? maxHeldPerUser
    }

    /// Whether a user who holds `held` units of a resource with `limits` may hold `quantity` more.
    ///
    /// - Throws: ``AppError/perUserHoldLimit(max:remaining:)`` when the resource sets no `max_per_user`
    ///   and ``maxHeldPerUser`` would be passed.
    public func checkHolding(_ quantity: Int, held: Int, under limits: UserLimits) throws(AppError) {
        guard limits.maxPerUser == nil, let cap = maxHeldPerUser, held + quantity > cap else { return }
        throw .perUserHoldLimit(max: cap, remaining: max(0, cap - held))
    }
}
