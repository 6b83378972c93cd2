/// Something with a limited stock that users book units of.
public struct Resource: Sendable, Equatable {
    public let id: Int
    public let name: String
    public let description: String
    public let stock: Stock

    public init(id: Int, name: String, description: String, stock: Stock) {
        self.id = id
        self.name = name
        self.description = description
        self.stock = stock
    }

    public var isInStock: Bool { stock.available > 0 }
}

/// How many units of a resource exist and how many are free to take. Only the ``Inventory`` changes it.
///
/// Invariant, kept by the inventory's conditional statements and by CHECK constraints in the schema:
/// `0 <= available <= total`. Units that are not available are booked.
public struct Stock: Sendable, Equatable {
    public let total: Int
    public let available: Int

    public init(total: Int, available: Int) {
        self.total = total
        self.available = available
    }

    /// Units held by active bookings.
    public var booked: Int { total - available }
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

    public init(resource: Resource, activeBookings: Int, activeUnits: Int, cancelledBookings: Int) {
        self.resource = resource
        self.activeBookings = activeBookings
        self.activeUnits = activeUnits
        self.cancelledBookings = cancelledBookings
    }
}
