import BookingDomain

/// Every `code` an error body can carry, and so exactly the `code` enum of the OpenAPI document's `Error`
/// schema (`ContractTests` compares them). Each ``AppError`` has one; the rest come from the edge itself.
enum ErrorCode: String, CaseIterable, Codable, Sendable {
    // AppError, in the order of its cases.
    case invalidField = "invalid_field"
    case malformedBody = "malformed_body"
    case passwordMismatch = "password_mismatch"
    case usernameTaken = "username_taken"
    case emailTaken = "email_taken"
    case resourceNameTaken = "resource_name_taken"
    case insufficientQuantity = "insufficient_quantity"
    /// The range names no periods that may be taken on this resource.
    case invalidPeriod = "invalid_period"
    case resourceNotFound = "resource_not_found"
    case bookingNotFound = "booking_not_found"
    case seriesNotFound = "series_not_found"
    case calendarFeedNotFound = "calendar_feed_not_found"
    case bookingAlreadyCancelled = "booking_already_cancelled"
    case resourceHasActiveBookings = "resource_has_active_bookings"
    case totalBelowBooked = "quantity_below_booked"
    case invalidCredentials = "invalid_credentials"
    case tooManyLoginAttempts = "too_many_login_attempts"
    case tooManySignups = "too_many_signups"
    case authenticationRequired = "authentication_required"
    case invalidToken = "invalid_token"
    case adminRequired = "admin_required"
    case userNotFound = "user_not_found"
    case lastActiveAdmin = "last_active_admin"
    case idempotencyKeyReused = "idempotency_key_reused"
    case idempotencyKeyInProgress = "idempotency_key_in_progress"
    case metricsTokenRequired = "metrics_token_required"
    case holdNotFound = "hold_not_found"
    case holdNotActive = "hold_not_active"
    case holdExpired = "hold_expired"
    case resourceHasActiveHolds = "resource_has_active_holds"
    case perUserLimit = "per_user_limit"
    case perBookingLimit = "per_booking_limit"
    case perUserHoldLimit = "per_user_hold_limit"
    case tooManyWrites = "too_many_writes"
    case alreadyWaiting = "already_waiting"
    case waitlistEntryNotFound = "waitlist_entry_not_found"
    case noPendingOffer = "no_pending_offer"
    case waitlistEntryEnded = "waitlist_entry_ended"
    case reservedForWaitlist = "reserved_for_waitlist"
    case resourceHasWaitingList = "resource_has_waiting_list"
    case webhookNotFound = "webhook_not_found"
    case webhookDeliveryNotFound = "webhook_delivery_not_found"
    case notificationNotFound = "notification_not_found"
    case serverBusy = "server_busy"
    // The edge.
    /// No route serves the path.
    case notFound = "not_found"
    /// The path is served, not with this method; `Allow` lists those it is.
    case methodNotAllowed = "method_not_allowed"
    /// A body over the route's limit (16 KB, 128 KB for a resource), refused before it is read.
    case payloadTooLarge = "payload_too_large"
    /// The body did not arrive within REQUEST_BODY_TIMEOUT.
    case requestTimeout = "request_timeout"
    /// The client went away before its request was read; never answered (it could not be), logged and
    /// counted as status 499, the client's doing.
    case clientClosedRequest = "client_closed_request"
    /// A body Vapor itself refuses to read for its media type.
    case unsupportedMediaType = "unsupported_media_type"
    /// A request HTTP itself rejects.
    case badRequest = "bad_request"
    /// The server is stopping and takes no new request; with `Retry-After`.
    case shuttingDown = "shutting_down"
    /// The database did not answer in time; with `Retry-After`.
    case databaseUnavailable = "database_unavailable"
    /// `/ready` only.
    case notReady = "not_ready"
    /// Any other 4xx Vapor raises.
    case clientError = "client_error"
    /// A fault of ours; nothing about it is revealed.
    case internalError = "internal_error"
    /// Any other 5xx.
    case serverError = "server_error"
}
