import BookingDomain
import Vapor

struct ResourceRequest: Decodable {
    var name: String?
    var description: String?
    var totalQuantity: WholeNumber?
    var availableQuantity: WholeNumber?

    enum CodingKeys: String, CodingKey {
        case name, description
        case totalQuantity = "total_quantity"
        case availableQuantity = "available_quantity"
    }

    var draft: ResourceService.Draft {
        .init(name: name, description: description, totalQuantity: totalQuantity?.value,
              availableQuantity: availableQuantity?.value)
    }

    /// For PATCH: available stock follows total_quantity and bookings, so it cannot be set directly.
    func changes() throws(AppError) -> ResourceService.Changes {
        if availableQuantity != nil {
            throw .invalidField(
                field: "available_quantity",
                reason: "available_quantity cannot be set directly; change total_quantity and it moves by the same amount"
            )
        }
        return .init(name: name, description: description, totalQuantity: totalQuantity?.value)
    }
}

struct ResourceResponse: Content {
    let id: Int
    let name: String
    let description: String
    let totalQuantity: Int
    let availableQuantity: Int

    enum CodingKeys: String, CodingKey {
        case id, name, description
        case totalQuantity = "total_quantity"
        case availableQuantity = "available_quantity"
    }

    init(_ resource: Resource) {
        id = resource.id
        name = resource.name
        description = resource.description
        totalQuantity = resource.stock.total
        availableQuantity = resource.stock.available
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
