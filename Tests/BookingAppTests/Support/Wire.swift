import Foundation
import Testing
import Vapor
@testable import BookingApp

/// Typed answers: tests decode a reply into the DTO the server encoded it from, or into a mirror here
/// where the DTO only encodes (events, webhooks, their deliveries, errors).
extension TestClient.Reply {
    /// The body decoded as `T`; a body that is not one fails the test with what it was.
    func decode<T: Decodable>(_ type: T.Type = T.self) throws -> T {
        do {
            return try JSONDecoder().decode(T.self, from: Data(buffer: body))
        } catch {
            Issue.record("expected \(T.self), got \(status): \(text)")
            throw error
        }
    }

    var booking: BookingResponse { get throws { try decode() } }
    var bookings: [BookingResponse] { get throws { try decode() } }
    var series: SeriesResponse { get throws { try decode() } }
    var seriesList: [SeriesResponse] { get throws { try decode() } }
    var hold: HoldResponse { get throws { try decode() } }
    var holds: [HoldResponse] { get throws { try decode() } }
    var entry: WaitlistEntryResponse { get throws { try decode() } }
    var entries: [WaitlistEntryResponse] { get throws { try decode() } }
    var resource: ResourceResponse { get throws { try decode() } }
    var availability: AvailabilityResponse { get throws { try decode() } }
    var resources: [ResourceResponse] { get throws { try decode() } }
    var user: UserResponse { get throws { try decode() } }
    /// The seed's listing: `resources` and `out of stock resources`.
    var catalogue: ResourceCatalogueResponse { get throws { try decode() } }
    var event: WireEvent { get throws { try decode() } }
    var events: [WireEvent] { get throws { try decode() } }
    var webhook: WireWebhook { get throws { try decode() } }
    var webhooks: [WireWebhook] { get throws { try decode() } }
    var deliveries: [WireDelivery] { get throws { try decode() } }

    /// The error body of a refusal (nil when the reply is not one).
    var error: WireError? { try? JSONDecoder().decode(WireError.self, from: Data(buffer: body)) }
    var reason: String? { error?.reason }
    var field: String? { error?.field }
}

/// `{"error": true, "reason": ..., "code": ..., "field": ...}`.
struct WireError: Decodable, Equatable {
    let error: Bool
    let reason: String
    let code: String
    let field: String?
    /// A dated resource's short periods, for `insufficient_quantity`.
    var periods: [ErrorResponses.Body.ShortPeriod]? = nil
    /// A refused series' occurrences, each with its refusal.
    var occurrences: [ErrorResponses.Body.Occurrence]? = nil
}

/// An event of the feed, as the API writes it.
struct WireEvent: Decodable, Equatable {
    struct Stock: Decodable, Equatable {
        let total: Int
        let available: Int
        let held: Int
    }

    struct User: Decodable, Equatable {
        let id: Int
        let username: String?
        let email: String?
    }

    /// `actor`: a user's id, or "system".
    enum Actor: Decodable, Equatable {
        case user(Int)
        case system

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let id = try? container.decode(Int.self) {
                self = .user(id)
            } else {
                let word = try container.decode(String.self)
                guard word == "system" else {
                    throw DecodingError.dataCorruptedError(in: container, debugDescription: "actor \(word)")
                }
                self = .system
            }
        }
    }

    let id: Int
    let type: String
    let occurredAt: String
    let actor: Actor
    let resource: Int?
    let resourceName: String?
    let booking: Int?
    let hold: Int?
    let waitlistEntry: Int?
    let user: User?
    let quantity: Int?
    let stock: Stock?
    let details: [String: WireValue]

    enum CodingKeys: String, CodingKey {
        case id, type, actor, resource, booking, hold, user, quantity, stock, details
        case occurredAt = "occurred_at"
        case resourceName = "resource_name"
        case waitlistEntry = "waitlist_entry"
    }
}

/// A JSON value of an event's details.
indirect enum WireValue: Decodable, Equatable {
    case int(Int)
    case string(String)
    case bool(Bool)
    case strings([String])
    case objects([[String: WireValue]])
    case null

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let value = try? container.decode(Bool.self) { self = .bool(value) }
        else if let value = try? container.decode(Int.self) { self = .int(value) }
        else if let value = try? container.decode(String.self) { self = .string(value) }
        else if let value = try? container.decode([String].self) { self = .strings(value) }
        else { self = .objects(try container.decode([[String: WireValue]].self)) }
    }

    var string: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    var int: Int? {
        if case .int(let value) = self { return value }
        return nil
    }
}

/// A webhook endpoint, as the API writes it.
struct WireWebhook: Decodable, Equatable {
    let id: Int
    let url: String
    let description: String
    let events: [String]
    let enabled: Bool
    let disabledReason: String?
    let consecutiveFailures: Int
    let lastEventID: Int
    let nextAttemptAt: String?
    let createdAt: String
    let updatedAt: String
    /// Only when it is created or its secret rotated.
    let secret: String?

    enum CodingKeys: String, CodingKey {
        case id, url, description, events, enabled, secret
        case disabledReason = "disabled_reason"
        case consecutiveFailures = "consecutive_failures"
        case lastEventID = "last_event_id"
        case nextAttemptAt = "next_attempt_at"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }
}

/// One attempt to deliver a webhook, as the API writes it.
struct WireDelivery: Decodable, Equatable {
    let id: Int
    let webhook: Int
    let event: Int?
    let eventType: String
    let webhookID: String
    let trigger: String
    let attemptedAt: String
    let statusCode: Int?
    let durationMilliseconds: Int
    let error: String?
    let succeeded: Bool

    enum CodingKeys: String, CodingKey {
        case id, webhook, event, trigger, error, succeeded
        case eventType = "event_type"
        case webhookID = "webhook_id"
        case attemptedAt = "attempted_at"
        case statusCode = "status_code"
        case durationMilliseconds = "duration_ms"
    }
}

/// A webhook's body as a receiver gets it (Standard Webhooks): the event, or `{}` for a ping.
struct WireMessage: Decodable {
    let type: String
    let timestamp: String
    /// The event; nil for a ping, whose data is empty.
    let data: WireEvent?

    enum CodingKeys: String, CodingKey {
        case type, timestamp, data
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        type = try container.decode(String.self, forKey: .type)
        timestamp = try container.decode(String.self, forKey: .timestamp)
        data = type == "ping" ? nil : try container.decode(WireEvent.self, forKey: .data)
    }
}
