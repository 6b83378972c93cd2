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
    case resourceNotFound
    case bookingNotFound
    case bookingAlreadyCancelled
    case resourceHasActiveBookings(count: Int)
    case totalBelowBooked(booked: Int)
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
    /// Too much work is queued (password hashing in a flood); retry after that many seconds.
    case overloaded(retryAfter: Int)
}
