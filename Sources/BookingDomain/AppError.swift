/// Every way a request can fail for a reason the domain understands.
///
/// The HTTP layer maps each case to a status and a stable `code` in one place (`AppError+HTTP.swift`).
public enum AppError: Error, Equatable, Sendable {
    /// A field is missing or its value is not acceptable; `field` names it.
    case invalidField(field: String, reason: String)
    /// The body is not the JSON the endpoint expects.
    case malformedBody(reason: String)
    case passwordMismatch
    case usernameTaken
    case emailTaken
    case resourceNameTaken
    case insufficientQuantity(requested: Int, available: Int)
    /// Some periods of a dated resource's range have fewer than `requested` units left: each, with what is
    /// left (`available` is the least of them).
    case insufficientInPeriods(requested: Int, available: Int, periods: [PeriodShortfall])
    /// The range names no periods that may be taken (``InvalidPeriod``): missing for a dated resource,
    /// given for a pool, misaligned, outside the opening hours or the bookable window.
    case invalidPeriod(reason: String)
    /// Occurrences of a series that cannot be booked (each with its refusal): with `on_conflict` `fail`,
    /// any; with `skip`, every one. Nothing of the series is booked.
    case seriesRefused([OccurrenceRefusal])
    case resourceNotFound
    case bookingNotFound
    case seriesNotFound
    /// No calendar feed has this token (never had, or it was replaced).
    case calendarFeedNotFound
    case bookingAlreadyCancelled
    case resourceHasActiveBookings(count: Int)
    /// The new total is below the units booked plus held (unexpired).
    case totalBelowBooked(booked: Int, held: Int)
    case invalidCredentials
    /// Too many password guesses for this account or from this address (`PasswordGuesses`); retry after that many seconds.
    case tooManyLoginAttempts(retryAfter: Int)
    /// Too many anonymous sign-ups from this address; retry after that many seconds.
    case tooManySignups(retryAfter: Int)
    case authenticationRequired
    case invalidToken
    case adminRequired
    case userNotFound
    /// The change would leave no active admin.
    case lastActiveAdmin
    /// The Idempotency-Key was used before with a different request body.
    case idempotencyKeyReused
    /// A request with this Idempotency-Key is still being processed.
    case idempotencyKeyInProgress
    /// `/metrics` is protected by METRICS_TOKEN and the request did not carry it.
    case metricsTokenRequired
    case holdNotFound
    /// The hold was confirmed, released or has expired: it has no units to release.
    case holdNotActive
    /// The hold expired and its units could not be taken again.
    case holdExpired(available: Int)
    /// A resource with unexpired holds cannot be deleted.
    case resourceHasActiveHolds(count: Int)
    /// The user would have more than `max` units of the resource booked plus held; `remaining` may still be taken.
    case perUserLimit(max: Int, remaining: Int)
    /// More units in one booking or hold than the resource allows.
    case perBookingLimit(max: Int)
    /// The user would hold more than `max` units of a resource that sets no `max_per_user`
    /// (`MAX_HELD_PER_USER`); `remaining` may still be held.
    case perUserHoldLimit(max: Int, remaining: Int)
    /// Too many bookings, holds and waiting-list joins from this user this minute; retry after that many seconds.
    case tooManyWrites(retryAfter: Int)
    /// The user already has an open entry (waiting or offered) in this resource's waiting list.
    case alreadyWaiting
    case waitlistEntryNotFound
    /// The entry has no offer pending: it is still waiting, or its offer was accepted, declined or has lapsed.
    case noPendingOffer
    /// The entry has left the list already (accepted, declined, expired, left or removed).
    case waitlistEntryEnded
    /// The units asked for are free but kept for the `waiting` entries of the resource's waiting list.
    case reservedForWaitlist(available: Int, waiting: Int)
    /// A resource with entries waiting cannot be deleted.
    case resourceHasWaitingList(count: Int)
    case webhookNotFound
    case notificationNotFound
    case webhookDeliveryNotFound
    /// Too much work is queued (password hashing in a flood); retry after that many seconds.
    case overloaded(retryAfter: Int)
}
