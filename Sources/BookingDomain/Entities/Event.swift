import Foundation

/// One entry of the audit log and of the webhook feed: a state change, written in the same transaction
/// as the change itself, so an event exists exactly when its change committed.
///
/// Its `id` is its place in the feed. Events are numbered once they have committed, in the order they
/// became visible (``EventStore/sequence()``), so a consumer following the feed with a cursor
/// (`after=id`) never skips one that committed late.
public struct Event: Sendable, Equatable {
    public let id: Int
    public let type: EventType
    public let occurredAt: Date
    public let actor: EventActor
    public let subject: EventSubject
    /// Units the change moved (booked, held, released, offered, …); nil when no units moved.
    public let quantity: Int?
    /// The resource's stock right after the change; nil for changes that are not about stock.
    public let stock: Stock?
    /// What else a consumer needs, by field name (a hold's expiry, the fields an update changed, …).
    public let details: [String: EventValue]
    /// The user the change concerns, as they are now (nil if none, or if they no longer exist).
    public let user: EventUser?

    public init(id: Int, type: EventType, occurredAt: Date, actor: EventActor, subject: EventSubject, quantity: Int?,
                stock: Stock?, details: [String: EventValue], user: EventUser?) {
        self.id = id
        self.type = type
        self.occurredAt = occurredAt
        self.actor = actor
        self.subject = subject
        self.quantity = quantity
        self.stock = stock
        self.details = details
        self.user = user
    }
}

/// Every kind of state change the service records.
public enum EventType: String, Sendable, CaseIterable, Codable {
    case bookingCreated = "booking.created"
    case bookingCancelled = "booking.cancelled"
    case seriesCreated = "series.created"
    case seriesCancelled = "series.cancelled"
    case holdCreated = "hold.created"
    case holdConfirmed = "hold.confirmed"
    case holdReleased = "hold.released"
    case holdExpired = "hold.expired"
    /// A hold's expiry is near (`HOLD_REMINDER_BEFORE`); its holder is reminded.
    case holdExpiring = "hold.expiring"
    /// A dated booking's start is near (`BOOKING_REMINDER_BEFORE`); its owner is reminded.
    case bookingStarting = "booking.starting"
    case waitlistJoined = "waitlist.joined"
    case waitlistOffered = "waitlist.offered"
    case waitlistAccepted = "waitlist.accepted"
    case waitlistDeclined = "waitlist.declined"
    case waitlistExpired = "waitlist.expired"
    case waitlistLeft = "waitlist.left"
    case waitlistRemoved = "waitlist.removed"
    case resourceCreated = "resource.created"
    case resourceUpdated = "resource.updated"
    case resourceDeleted = "resource.deleted"
    case userCreated = "user.created"
    case userUpdated = "user.updated"
}

/// Who made a change: a signed-in user, or the service itself (a hold lapsing, an offer made to the
/// next in line, an operator's command).
public enum EventActor: Sendable, Equatable, Hashable {
    case user(Int)
    case system

    /// The user id, nil for the system.
    public var userID: Int? {
        if case .user(let id) = self { return id }
        return nil
    }

    public init(userID: Int?) {
        self = userID.map(EventActor.user) ?? .system
    }
}

/// The records a change is about, by id; only those that apply are set.
public struct EventSubject: Sendable, Equatable {
    public var resourceID: Int?
    public var resourceName: String?
    public var bookingID: Int?
    public var holdID: Int?
    public var waitlistEntryID: Int?
    public var userID: Int?

    public init(resourceID: Int? = nil, resourceName: String? = nil, bookingID: Int? = nil, holdID: Int? = nil,
                waitlistEntryID: Int? = nil, userID: Int? = nil) {
        self.resourceID = resourceID
        self.resourceName = resourceName
        self.bookingID = bookingID
        self.holdID = holdID
        self.waitlistEntryID = waitlistEntryID
        self.userID = userID
    }
}

/// A value in an event's details: what JSON can carry, and nothing secret.
public indirect enum EventValue: Sendable, Equatable, Codable {
    case int(Int)
    case string(String)
    case bool(Bool)
    case date(Date)
    case strings([String])
    /// A list of records (a dated change's periods, each with its stock).
    case objects([[String: EventValue]])
    case null

    /// The text of a `.string`; nil otherwise.
    public var string: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    /// The moment of a `.date`, or of a `.string` that a `.date` was written as (details read back from
    /// JSON); nil otherwise.
    public var instant: Date? {
        switch self {
        case .date(let value): value
        case .string(let text): try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text)
        default: nil
        }
    }

    /// The number of an `.int`; nil otherwise.
    public var int: Int? {
        if case .int(let value) = self { return value }
        return nil
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let value = try? container.decode(Bool.self) { self = .bool(value) }
        else if let value = try? container.decode(Int.self) { self = .int(value) }
        else if let value = try? container.decode([String].self) { self = .strings(value) }
        else if let value = try? container.decode([[String: EventValue]].self) { self = .objects(value) }
        else { self = .string(try container.decode(String.self)) }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .int(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .bool(let value): try container.encode(value)
        case .date(let value): try container.encode(value.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
        case .strings(let value): try container.encode(value)
        case .objects(let value): try container.encode(value)
        case .null: try container.encodeNil()
        }
    }

    public init(_ value: Int?) { self = value.map(EventValue.int) ?? .null }

    /// `details` as JSON text, keys sorted: what the `Codable` form writes (and reads back), written
    /// directly. Through JSONEncoder a dated booking's details (its range and periods) took about a
    /// twenty-fifth of the booking's CPU.
    public static func json(_ details: [String: EventValue]) -> String {
        if details.isEmpty { return "{}" }
        var text = ""
        write(details, to: &text)
        return text
    }

    private static func write(_ object: [String: EventValue], to text: inout String) {
        text.append("{")
        for (position, (key, value)) in object.sorted(by: { $0.key < $1.key }).enumerated() {
            if position > 0 { text.append(",") }
            write(key, to: &text)
            text.append(":")
            value.write(to: &text)
        }
        text.append("}")
    }

    private func write(to text: inout String) {
        switch self {
        case .int(let value): text.append(String(value))
        case .string(let value): Self.write(value, to: &text)
        case .bool(let value): text.append(value ? "true" : "false")
        case .date(let value): Self.write(value.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true)), to: &text)
        case .strings(let values): Self.writeArray(values, to: &text) { Self.write($0, to: &$1) }
        case .objects(let values): Self.writeArray(values, to: &text) { Self.write($0, to: &$1) }
        case .null: text.append("null")
        }
    }

    private static func writeArray<Element>(_ elements: [Element], to text: inout String, _ writeElement: (Element, inout String) -> Void) {
        text.append("[")
        for (position, element) in elements.enumerated() {
            if position > 0 { text.append(",") }
            writeElement(element, &text)
        }
        text.append("]")
    }

    /// A JSON string: quote, backslash and control characters escaped (RFC 8259 §7), the rest as it is.
    private static func write(_ string: String, to text: inout String) {
        text.append("\"")
        if string.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            for scalar in string.unicodeScalars {
                switch scalar {
                case "\"": text.append("\\\"")
                case "\\": text.append("\\\\")
                case "\n": text.append("\\n")
                case "\r": text.append("\\r")
                case "\t": text.append("\\t")
                case _ where scalar.value < 0x20:
                    text.append(scalar.value < 0x10 ? "\\u000" : "\\u001")
                    text.append(String(scalar.value & 0xF, radix: 16))
                default: text.unicodeScalars.append(scalar)
                }
            }
        } else {
            text.append(string)
        }
        text.append("\"")
    }
}

/// The user an event concerns, as an integrator needs them to notify that person.
public struct EventUser: Sendable, Equatable {
    public let id: Int
    public let username: String
    public let email: String

    public init(id: Int, username: String, email: String) {
        self.id = id
        self.username = username
        self.email = email
    }
}

/// An event as a change writes it; the store gives it its place in the feed once it has committed.
public struct NewEvent: Sendable {
    public let type: EventType
    public let occurredAt: Date
    public let actor: EventActor
    public let subject: EventSubject
    public let quantity: Int?
    public let stock: Stock?
    public let details: [String: EventValue]

    public init(_ type: EventType, at occurredAt: Date, by actor: EventActor, subject: EventSubject,
                quantity: Int? = nil, stock: Stock? = nil, details: [String: EventValue] = [:]) {
        self.type = type
        self.occurredAt = occurredAt
        self.actor = actor
        self.subject = subject
        self.quantity = quantity
        self.stock = stock
        self.details = details
    }
}

extension Stock {
    /// This stock with units moved into (positive) or out of (negative) available and held; the total stays.
    public func moving(available: Int = 0, held: Int = 0) -> Stock {
        Stock(total: total, available: self.available + available, held: self.held + held)
    }
}

extension Resource {
    public var subject: EventSubject { EventSubject(resourceID: id, resourceName: name) }

    /// What a resource event carries besides its stock.
    public var eventDetails: [String: EventValue] {
        ["name": .string(name), "description": .string(description), "max_per_user": EventValue(limits.maxPerUser),
         "max_per_booking": EventValue(limits.maxPerBooking)]
    }
}

extension Booking {
    public var subject: EventSubject {
        EventSubject(resourceID: resourceID, resourceName: resourceName, bookingID: id, holdID: holdID, userID: userID)
    }
}

extension Hold {
    public var subject: EventSubject {
        EventSubject(resourceID: resourceID, resourceName: resourceName, bookingID: bookingID, holdID: id, waitlistEntryID: waitlistEntryID, userID: userID)
    }
}

extension WaitlistEntry {
    public var subject: EventSubject {
        EventSubject(resourceID: resourceID, resourceName: resourceName, holdID: offer?.holdID, waitlistEntryID: id, userID: userID)
    }
}
