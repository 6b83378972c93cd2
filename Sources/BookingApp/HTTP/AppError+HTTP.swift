import BookingDomain
import Vapor

/// The single mapping from domain errors to what a client sees: a status, a stable machine-readable
/// `code`, and a human-readable `reason`.
extension AppError {
    var status: HTTPResponseStatus {
        switch self {
        case .seriesRefused(let refusals):
            refusals.first?.error.status ?? .badRequest
        case .invalidField, .malformedBody, .passwordMismatch, .usernameTaken, .emailTaken, .resourceNameTaken,
             .insufficientQuantity, .insufficientInPeriods, .invalidPeriod, .perBookingLimit:
            .badRequest
        case .invalidCredentials, .authenticationRequired, .invalidToken, .metricsTokenRequired:
            .unauthorized
        case .adminRequired:
            .forbidden
        case .resourceNotFound, .bookingNotFound, .seriesNotFound, .calendarFeedNotFound, .userNotFound, .holdNotFound, .waitlistEntryNotFound,
             .webhookNotFound, .webhookDeliveryNotFound, .notificationNotFound:
            .notFound
        case .bookingAlreadyCancelled, .resourceHasActiveBookings, .totalBelowBooked, .idempotencyKeyInProgress,
             .lastActiveAdmin, .holdNotActive, .holdExpired, .resourceHasActiveHolds, .perUserLimit, .alreadyWaiting,
             .noPendingOffer, .waitlistEntryEnded, .reservedForWaitlist, .resourceHasWaitingList, .perUserHoldLimit:
            .conflict
        case .idempotencyKeyReused:
            .unprocessableEntity
        case .tooManyLoginAttempts, .tooManySignups, .tooManyWrites:
            .tooManyRequests
        case .overloaded:
            .serviceUnavailable
        }
    }

    var code: ErrorCode {
        switch self {
        case .seriesRefused(let refusals): refusals.first?.error.code ?? .insufficientQuantity
        case .invalidField: .invalidField
        case .malformedBody: .malformedBody
        case .passwordMismatch: .passwordMismatch
        case .usernameTaken: .usernameTaken
        case .emailTaken: .emailTaken
        case .resourceNameTaken: .resourceNameTaken
        case .insufficientQuantity, .insufficientInPeriods: .insufficientQuantity
        case .invalidPeriod: .invalidPeriod
        case .resourceNotFound: .resourceNotFound
        case .bookingNotFound: .bookingNotFound
        case .seriesNotFound: .seriesNotFound
        case .calendarFeedNotFound: .calendarFeedNotFound
        case .bookingAlreadyCancelled: .bookingAlreadyCancelled
        case .resourceHasActiveBookings: .resourceHasActiveBookings
        case .totalBelowBooked: .totalBelowBooked
        case .invalidCredentials: .invalidCredentials
        case .tooManyLoginAttempts: .tooManyLoginAttempts
        case .tooManySignups: .tooManySignups
        case .authenticationRequired: .authenticationRequired
        case .invalidToken: .invalidToken
        case .adminRequired: .adminRequired
        case .userNotFound: .userNotFound
        case .lastActiveAdmin: .lastActiveAdmin
        case .idempotencyKeyReused: .idempotencyKeyReused
        case .idempotencyKeyInProgress: .idempotencyKeyInProgress
        case .metricsTokenRequired: .metricsTokenRequired
        case .holdNotFound: .holdNotFound
        case .holdNotActive: .holdNotActive
        case .holdExpired: .holdExpired
        case .resourceHasActiveHolds: .resourceHasActiveHolds
        case .perUserLimit: .perUserLimit
        case .perBookingLimit: .perBookingLimit
        case .perUserHoldLimit: .perUserHoldLimit
        case .tooManyWrites: .tooManyWrites
        case .alreadyWaiting: .alreadyWaiting
        case .waitlistEntryNotFound: .waitlistEntryNotFound
        case .noPendingOffer: .noPendingOffer
        case .waitlistEntryEnded: .waitlistEntryEnded
        case .reservedForWaitlist: .reservedForWaitlist
        case .resourceHasWaitingList: .resourceHasWaitingList
        case .webhookNotFound: .webhookNotFound
        case .notificationNotFound: .notificationNotFound
        case .webhookDeliveryNotFound: .webhookDeliveryNotFound
        case .overloaded: .serverBusy
        }
    }

    var reason: String {
        switch self {
        case .invalidField(_, let reason), .malformedBody(let reason):
            reason
        case .passwordMismatch:
            "password and confirm_password do not match"
        case .usernameTaken:
            "That username is already taken."
        case .emailTaken:
            "That e-mail address is already registered."
        case .resourceNameTaken:
            "A resource with that name already exists."
        case .insufficientQuantity(let requested, let available):
            "Cannot book \(requested) unit(s): only \(available) left."
        case .insufficientInPeriods(let requested, let available, let periods):
            "Cannot take \(requested) unit(s) in every period: \(periods.count) period(s) have fewer left (the least: \(available))."
        case .invalidPeriod(let reason):
            reason
        case .seriesRefused(let refusals):
            "\(refusals.count) occurrence(s) of the series cannot be booked, so none is"
                + (refusals.first.map { " (the first, \($0.start): \($0.error.reason))" } ?? "") + "."
        case .seriesNotFound:
            "Series not found."
        case .calendarFeedNotFound:
            "Calendar feed not found."
        case .resourceNotFound:
            "Resource not found."
        case .bookingNotFound:
            "Booking not found."
        case .bookingAlreadyCancelled:
            "This booking is already cancelled."
        case .resourceHasActiveBookings(let count):
            "The resource has \(count) active booking(s); cancel them before deleting it."
        case .totalBelowBooked(let booked, let held):
            "total_quantity cannot go below the \(booked + held) unit(s) currently booked (\(booked)) or held (\(held))."
        case .invalidCredentials:
            "Invalid username or password."
        case .tooManyLoginAttempts(let seconds):
            "Too many wrong passwords for this account or from this address; try again in \(seconds) seconds."
        case .tooManySignups(let seconds):
            "Too many sign-ups from this address; try again in \(seconds) seconds."
        case .authenticationRequired:
            "Authentication required: send Authorization: Token <token> (or Bearer)."
        case .invalidToken:
            "The token is invalid, expired or revoked."
        case .adminRequired:
            "Only an admin can do this."
        case .userNotFound:
            "User not found."
        case .lastActiveAdmin:
            "This would leave no active admin; promote another user first."
        case .idempotencyKeyReused:
            "This Idempotency-Key was already used with a different request body."
        case .idempotencyKeyInProgress:
            "A request with this Idempotency-Key is still in progress; retry shortly."
        case .metricsTokenRequired:
            "Send the metrics token: Authorization: Bearer <METRICS_TOKEN>."
        case .holdNotFound:
            "Hold not found."
        case .holdNotActive:
            "This hold is no longer active: it was confirmed, released or has expired."
        case .holdExpired(let available):
            "This hold has expired and its units could not be taken again: only \(available) left."
        case .resourceHasActiveHolds(let count):
            "The resource has \(count) active hold(s); wait for them to end or release them before deleting it."
        case .perUserLimit(let max, let remaining):
            "Each user may have at most \(max) unit(s) of this resource booked or held; you may take \(remaining) more."
        case .perBookingLimit(let max):
            "At most \(max) unit(s) of this resource may be booked or held at once."
        case .perUserHoldLimit(let max, let remaining):
            "Each user may hold at most \(max) unit(s) of this resource at once (holds and offers); you may hold \(remaining) more."
        case .tooManyWrites(let seconds):
            "Too many bookings, holds and waiting-list joins from this account this minute; try again in \(seconds) seconds."
        case .alreadyWaiting:
            "You are already on this resource's waiting list."
        case .waitlistEntryNotFound:
            "Waiting-list entry not found."
        case .noPendingOffer:
            "This entry has no pending offer: it is still waiting, or its offer was accepted, declined or has lapsed."
        case .waitlistEntryEnded:
            "This entry is no longer on the waiting list."
        case .reservedForWaitlist(let available, let waiting):
            "The \(available) free unit(s) are kept for the \(waiting) people on the waiting list; join it to get an offer."
        case .resourceHasWaitingList(let count):
            "The resource has \(count) waiting-list entr\(count == 1 ? "y" : "ies") waiting; remove them before deleting it."
        case .webhookNotFound:
            "Webhook endpoint not found."
        case .notificationNotFound:
            "Notification not found."
        case .webhookDeliveryNotFound:
            "Delivery not found (or its event is past EVENT_RETENTION)."
        case .overloaded(let seconds):
            "The server is too busy for this request; try again in \(seconds) seconds."
        }
    }

    /// The periods an `insufficient_quantity` on a dated resource names.
    var shortPeriods: [ErrorResponses.Body.ShortPeriod]? {
        guard case .insufficientInPeriods(_, _, let periods) = self else { return nil }
        return periods.map { .init(start: $0.start, end: $0.end, availableQuantity: $0.available) }
    }

    /// The occurrences a refused series names, each with its refusal.
    var refusedOccurrences: [ErrorResponses.Body.Occurrence]? {
        guard case .seriesRefused(let refusals) = self else { return nil }
        return refusals.map(ErrorResponses.Body.Occurrence.init)
    }

    /// The field a 400 is about, so clients can point at it without parsing `reason`.
    var field: String? {
        if case .invalidField(let field, _) = self { return field }
        return nil
    }
}
