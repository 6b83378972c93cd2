import BookingDomain
import Vapor

struct SeriesRequestBody: Decodable {
    var resource: BookingRequest.ResourceField?
    var purchaseQuantity: WholeNumber?
    /// The first occurrence.
    var start: String?
    var end: String?
    var rrule: String?
    var onConflict: String?

    enum CodingKeys: String, CodingKey {
        case resource, start, end, rrule
        case purchaseQuantity = "purchase_quantity"
        case onConflict = "on_conflict"
    }
}

struct SeriesResponse: Content {
    struct Occurrence: Content, Equatable {
        let start: String
        let end: String
        /// Its booking; null when it was skipped.
        let booking: Int?
        let status: String
        /// Why a skipped occurrence was not booked (in the answer that made the series only).
        let code: ErrorCode?
        let reason: String?

        init(_ occurrence: BookingSeries.Occurrence) {
            start = occurrence.start
            end = occurrence.end
            booking = occurrence.bookingID
            status = occurrence.status.rawValue
            code = occurrence.refusal?.code
            reason = occurrence.refusal?.reason
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(start, forKey: .start)
            try container.encode(end, forKey: .end)
            try container.encodeOrNull(booking, forKey: .booking)
            try container.encode(status, forKey: .status)
            try container.encodeIfPresent(code, forKey: .code)
            try container.encodeIfPresent(reason, forKey: .reason)
        }
    }

    let id: Int
    let resource: Int
    let resourceName: String
    let user: Int
    let purchaseQuantity: Int
    let rrule: String
    let onConflict: String
    let createdAt: String
    let occurrences: [Occurrence]

    enum CodingKeys: String, CodingKey {
        case id, resource, user, rrule, occurrences
        case resourceName = "resource_name"
        case purchaseQuantity = "purchase_quantity"
        case onConflict = "on_conflict"
        case createdAt = "created_at"
    }

    init(_ series: BookingSeries) {
        id = series.id
        resource = series.resourceID
        resourceName = series.resourceName
        user = series.userID
        purchaseQuantity = series.quantity
        rrule = series.rrule
        onConflict = series.onConflict.rawValue
        createdAt = series.createdAt.wireFormat
        occurrences = series.occurrences.map(Occurrence.init)
    }
}

struct CalendarFeedResponse: Content {
    /// The feed's address to subscribe to.
    let url: String
    let path: String
}
