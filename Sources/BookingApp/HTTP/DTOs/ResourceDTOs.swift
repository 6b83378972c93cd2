import BookingDomain
import Vapor

struct ResourceRequest: Decodable {
    var name: String?
    var description: String?
    var totalQuantity: WholeNumber?
    var availableQuantity: WholeNumber?
    /// Absent: unchanged (nil); `null`: no limit (`.some(nil)`); a number: the limit.
    var maxPerUser: Int??
    var maxPerBooking: Int??
    /// Absent: unchanged (nil); `null`: a pool; an object: the schedule.
    var schedule: Schedule.Document??

    enum CodingKeys: String, CodingKey {
        case name, description, schedule
        case totalQuantity = "total_quantity"
        case availableQuantity = "available_quantity"
        case maxPerUser = "max_per_user"
        case maxPerBooking = "max_per_booking"
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decodeIfPresent(String.self, forKey: .name)
        description = try container.decodeIfPresent(String.self, forKey: .description)
        totalQuantity = try container.decodeIfPresent(WholeNumber.self, forKey: .totalQuantity)
        availableQuantity = try container.decodeIfPresent(WholeNumber.self, forKey: .availableQuantity)
        maxPerUser = try Self.limit(.maxPerUser, in: container)
        maxPerBooking = try Self.limit(.maxPerBooking, in: container)
        if container.contains(.schedule) {
            schedule = try container.decodeNil(forKey: .schedule) ? .some(nil) : .some(try container.decode(Schedule.Document.self, forKey: .schedule))
        }
    }

    private static func limit(_ key: CodingKeys, in container: KeyedDecodingContainer<CodingKeys>) throws -> Int?? {
        guard container.contains(key) else { return nil }
        if try container.decodeNil(forKey: key) { return .some(nil) }
        return .some(try container.decode(WholeNumber.self, forKey: key).value)
    }

    var draft: ResourceService.Draft {
        .init(name: name, description: description, totalQuantity: totalQuantity?.value,
              availableQuantity: availableQuantity?.value, maxPerUser: maxPerUser ?? nil, maxPerBooking: maxPerBooking ?? nil,
              schedule: schedule ?? nil)
    }

    /// For PATCH: available stock follows total_quantity and bookings, so it cannot be set directly.
    func changes() throws(AppError) -> ResourceService.Changes {
        if availableQuantity != nil {
            throw .invalidField(
                field: "available_quantity",
                reason: "available_quantity cannot be set directly; change total_quantity and it moves by the same amount"
            )
        }
        return .init(name: name, description: description, totalQuantity: totalQuantity?.value,
                     maxPerUser: maxPerUser, maxPerBooking: maxPerBooking, schedule: schedule)
    }
}

struct ResourceResponse: Content {
    let id: Int
    let name: String
    let description: String
    let totalQuantity: Int
    let availableQuantity: Int
    let heldQuantity: Int
    /// null when unset, so every item has the same keys.
    let maxPerUser: Int?
    let maxPerBooking: Int?
    /// Entries of its waiting list waiting for an offer.
    let waitingCount: Int
    /// null for a pool.
    let schedule: Schedule.Document?

    enum CodingKeys: String, CodingKey {
        case id, name, description, schedule
        case totalQuantity = "total_quantity"
        case availableQuantity = "available_quantity"
        case heldQuantity = "held_quantity"
        case maxPerUser = "max_per_user"
        case maxPerBooking = "max_per_booking"
        case waitingCount = "waiting_count"
    }

    init(_ resource: Resource) {
        id = resource.id
        name = resource.name
        description = resource.description
        totalQuantity = resource.stock.total
        availableQuantity = resource.stock.available
        heldQuantity = resource.stock.held
        maxPerUser = resource.limits.maxPerUser
        maxPerBooking = resource.limits.maxPerBooking
        waitingCount = resource.waitingEntries
        schedule = resource.schedule?.document
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(name, forKey: .name)
        try container.encode(description, forKey: .description)
        try container.encode(totalQuantity, forKey: .totalQuantity)
        try container.encode(availableQuantity, forKey: .availableQuantity)
        try container.encode(heldQuantity, forKey: .heldQuantity)
        try container.encodeOrNull(maxPerUser, forKey: .maxPerUser)
        try container.encodeOrNull(maxPerBooking, forKey: .maxPerBooking)
        try container.encode(waitingCount, forKey: .waitingCount)
        try container.encodeOrNull(schedule, forKey: .schedule)
    }
}

/// The seed's listing shape, key with spaces included.
struct ResourceCatalogueResponse: Content {
    var message = "Resources fetched successfully"
    let resources: [ResourceResponse]
    let outOfStockResources: [ResourceResponse]

    enum CodingKeys: String, CodingKey {
        case message, resources
        case outOfStockResources = "out of stock resources"
    }
}

/// A dated resource's periods between two dates, each with its stock as a read sees it.
struct AvailabilityResponse: Content {
    struct Period: Content {
        let start: String
        let end: String
        let totalQuantity: Int
        let availableQuantity: Int
        let heldQuantity: Int
        let bookedQuantity: Int

        enum CodingKeys: String, CodingKey {
            case start, end
            case totalQuantity = "total_quantity"
            case availableQuantity = "available_quantity"
            case heldQuantity = "held_quantity"
            case bookedQuantity = "booked_quantity"
        }

        init(_ period: PeriodStock) {
            start = period.start
            end = period.end
            totalQuantity = period.stock.total
            availableQuantity = period.stock.available
            heldQuantity = period.stock.held
            bookedQuantity = period.stock.booked
        }
    }

    let resource: Int
    let timeZone: String
    let periods: [Period]

    enum CodingKeys: String, CodingKey {
        case resource, periods
        case timeZone = "time_zone"
    }
}

/// A date of a dated resource with a capacity of its own.
struct CalendarDay: Content {
    let date: String
    let totalQuantity: Int

    enum CodingKeys: String, CodingKey {
        case date
        case totalQuantity = "total_quantity"
    }
}

struct CalendarDayRequest: Decodable {
    var totalQuantity: WholeNumber?

    enum CodingKeys: String, CodingKey {
        case totalQuantity = "total_quantity"
    }
}

/// A dated resource a search found: the least units left over the range, and the range as it would be booked.
struct AvailableResourceResponse: Content {
    let resource: ResourceResponse
    let availableQuantity: Int
    let start: String
    let end: String

    enum CodingKeys: String, CodingKey {
        case resource, start, end
        case availableQuantity = "available_quantity"
    }

    init(_ found: AvailableResource) {
        resource = ResourceResponse(found.resource)
        availableQuantity = found.available
        start = found.start
        end = found.end
    }
}
