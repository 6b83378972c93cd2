/// Something with a limited stock that users book units of.
public struct Resource: Sendable, Equatable {
    public let id: Int
    public let name: String
    public let description: String
    public let totalQuantity: Int
    public let availableQuantity: Int

    public var isInStock: Bool { availableQuantity > 0 }
}

/// How a client names a resource: by id, or by its (case-insensitive) name.
public enum ResourceReference: Sendable, Equatable {
    case id(Int)
    case name(String)
}

/// A resource with its bookings counted, for operators.
public struct ResourceStock: Sendable {
    public let resource: Resource
    public let activeBookings: Int
    public let activeUnits: Int
    public let cancelledBookings: Int
}
