import BookingDomain
import Vapor

struct HoldRequest: Decodable {
    var resource: BookingRequest.ResourceField?
    var quantity: WholeNumber?
    var ttlSeconds: WholeNumber?
    var start: String?
    var end: String?

    enum CodingKeys: String, CodingKey {
        case resource, quantity, start, end
        case ttlSeconds = "ttl_seconds"
    }

    var range: PeriodRange? {
        get throws(AppError) { try PeriodRange(start: start, end: end) }
    }
}

struct HoldResponse: Content {
    let id: Int
    let resource: Int
    let resourceName: String
    let user: Int
    let quantity: Int
    /// As at the moment of the answer: a hold past its `expires_at` is `expired` whether or not anything
    /// has written that down.
    let status: String
    let createdAt: String
    let expiresAt: String
    /// The booking a confirmed hold became; null otherwise.
    let booking: Int?
    /// The waiting-list entry a hold is the offer of; null for a hold asked for.
    let waitlistEntry: Int?
    let start: String?
    let end: String?

    enum CodingKeys: String, CodingKey {
        case id, resource, user, quantity, status, booking, start, end
        case waitlistEntry = "waitlist_entry"
        case resourceName = "resource_name"
        case createdAt = "created_at"
        case expiresAt = "expires_at"
    }

    init(_ hold: Hold, status: Hold.Status) {
        id = hold.id
        resource = hold.resourceID
        resourceName = hold.resourceName
        user = hold.userID
        quantity = hold.quantity
        self.status = status.rawValue
        createdAt = hold.createdAt.wireFormat
        expiresAt = hold.expiresAt.wireFormat
        booking = hold.bookingID
        waitlistEntry = hold.waitlistEntryID
        start = hold.range?.start
        end = hold.range?.end
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(resource, forKey: .resource)
        try container.encode(resourceName, forKey: .resourceName)
        try container.encode(user, forKey: .user)
        try container.encode(quantity, forKey: .quantity)
        try container.encode(status, forKey: .status)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(expiresAt, forKey: .expiresAt)
        try container.encodeOrNull(booking, forKey: .booking)
        try container.encodeOrNull(waitlistEntry, forKey: .waitlistEntry)
        try container.encodeOrNull(start, forKey: .start)
        try container.encodeOrNull(end, forKey: .end)
    }
}
