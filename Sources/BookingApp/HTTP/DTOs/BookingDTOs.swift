import BookingDomain
import Vapor

struct BookingRequest: Decodable {
    var resource: ResourceField?
    var purchaseQuantity: WholeNumber?
    /// A dated resource's range (dates, or RFC 3339 times for slots); absent for a pool.
    var start: String?
    var end: String?

    enum CodingKeys: String, CodingKey {
        case resource, start, end
        case purchaseQuantity = "purchase_quantity"
    }

    /// The range given, if any, or `invalid_period` when it cannot be read.
    var range: PeriodRange? {
        get throws(AppError) { try PeriodRange(start: start, end: end) }
    }

    /// `resource` is an id (a number, or a string of digits) or otherwise a resource's name.
    struct ResourceField: Decodable {
        let reference: ResourceReference

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let id = try? container.decode(WholeNumber.self) {
                reference = .id(id.value)
                return
            }
            guard let text = try? container.decode(String.self).trimmingCharacters(in: .whitespacesAndNewlines) else {
                throw DecodingError.typeMismatch(String.self, .init(
                    codingPath: decoder.codingPath, debugDescription: "Expected a resource id or name."))
            }
            if !text.isEmpty, text.allSatisfy(\.isASCIIDigit) {
                // Digits beyond Int's range cannot be any resource's id.
                reference = .id(Int(text) ?? -1)
            } else {
                reference = .name(text)
            }
        }
    }
}

struct BookingResponse: Content {
    let id: Int
    let resource: Int
    let resourceName: String
    let user: Int
    let purchaseQuantity: Int
    let bookingDate: String
    let status: String
    /// The hold this booking confirmed; null for a direct booking.
    let hold: Int?
    /// A dated booking's range as written (null for a pool).
    let start: String?
    let end: String?
    /// The series it is an occurrence of; null for a booking on its own.
    let series: Int?

    enum CodingKeys: String, CodingKey {
        case id, resource, user, status, hold, start, end, series
        case resourceName = "resource_name"
        case purchaseQuantity = "purchase_quantity"
        case bookingDate = "booking_date"
    }

    init(_ booking: Booking) {
        id = booking.id
        resource = booking.resourceID
        resourceName = booking.resourceName
        user = booking.userID
        purchaseQuantity = booking.purchaseQuantity
        bookingDate = booking.bookingDate.wireFormat
        status = booking.status.rawValue
        hold = booking.holdID
        start = booking.range?.start
        end = booking.range?.end
        series = booking.seriesID
    }

    /// The answer for one booking, written without Foundation's encoder (``JSONObjectWriter``): the same
    /// object as `encode(to:)`, keys sorted.
    func response(status: HTTPStatus = .ok) -> Response {
        var object = JSONObjectWriter()
        object.member("booking_date", bookingDate)
        object.member("end", end)
        object.member("hold", hold)
        object.member("id", id)
        object.member("purchase_quantity", purchaseQuantity)
        object.member("resource", resource)
        object.member("resource_name", resourceName)
        object.member("series", series)
        object.member("start", start)
        object.member("status", self.status)
        object.member("user", user)
        return Response(status: status, json: object.finish())
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(resource, forKey: .resource)
        try container.encode(resourceName, forKey: .resourceName)
        try container.encode(user, forKey: .user)
        try container.encode(purchaseQuantity, forKey: .purchaseQuantity)
        try container.encode(bookingDate, forKey: .bookingDate)
        try container.encode(status, forKey: .status)
        try container.encodeOrNull(hold, forKey: .hold)
        try container.encodeOrNull(start, forKey: .start)
        try container.encodeOrNull(end, forKey: .end)
        try container.encodeOrNull(series, forKey: .series)
    }
}
