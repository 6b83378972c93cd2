import BookingDomain
import Vapor

struct WaitlistJoinRequest: Decodable {
    var quantity: WholeNumber?
    /// A dated resource's range, as a booking's.
    var start: String?
    var end: String?

    var range: PeriodRange? {
        get throws(AppError) { try PeriodRange(start: start, end: end) }
    }
}

struct WaitlistEntryResponse: Content {
    let id: Int
    let resource: Int
    let resourceName: String
    let user: Int
    let quantity: Int
    /// As at the moment of the answer: an entry whose offer is past its `expires_at` is `expired`.
    let status: String
    /// 1 for the next in line; null unless waiting.
    let position: Int?
    let createdAt: String
    /// The offer's hold, once the entry has been offered units; null before.
    let hold: Int?
    let offerExpiresAt: String?
    let endedAt: String?
    let removedReason: String?
    let start: String?
    let end: String?

    enum CodingKeys: String, CodingKey {
        case id, resource, user, quantity, status, position, hold, start, end
        case resourceName = "resource_name"
        case createdAt = "created_at"
        case offerExpiresAt = "offer_expires_at"
        case endedAt = "ended_at"
        case removedReason = "removed_reason"
    }

    init(_ entry: WaitlistEntry, status: WaitlistEntry.Status) {
        id = entry.id
        resource = entry.resourceID
        resourceName = entry.resourceName
        user = entry.userID
        quantity = entry.quantity
        self.status = status.rawValue
        position = entry.position
        createdAt = entry.createdAt.wireFormat
        hold = entry.offer?.holdID
        offerExpiresAt = entry.offer?.expiresAt.wireFormat
        endedAt = entry.endedAt?.wireFormat
        removedReason = entry.removedReason
        start = entry.range?.start
        end = entry.range?.end
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(resource, forKey: .resource)
        try container.encode(resourceName, forKey: .resourceName)
        try container.encode(user, forKey: .user)
        try container.encode(quantity, forKey: .quantity)
        try container.encode(status, forKey: .status)
        try container.encodeOrNull(position, forKey: .position)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encodeOrNull(hold, forKey: .hold)
        try container.encodeOrNull(offerExpiresAt, forKey: .offerExpiresAt)
        try container.encodeOrNull(endedAt, forKey: .endedAt)
        try container.encodeOrNull(removedReason, forKey: .removedReason)
        try container.encodeOrNull(start, forKey: .start)
        try container.encodeOrNull(end, forKey: .end)
    }
}
