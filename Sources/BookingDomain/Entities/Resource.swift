/// Something with a limited stock that users book units of.
public struct Resource: Sendable, Equatable {
    public let id: Int
    public let name: String
    public let description: String
    public let stock: Stock
    public let limits: UserLimits
    /// Entries of its waiting list still waiting for an offer.
    public let waitingEntries: Int
    /// How its time divides into periods, each with `stock.total` units; nil for a pool, whose `stock` is
    /// its one counter. A dated resource's own `stock` is its capacity per period (nothing is taken from
    /// it: its periods keep their own stock).
    public let schedule: Schedule?

    public init(id: Int, name: String, description: String, stock: Stock, limits: UserLimits = UserLimits(), waitingEntries: Int = 0,
                schedule: Schedule? = nil) {
        self.id = id
        self.schedule = schedule
        self.name = name
        self.description = description
        self.stock = stock
        self.limits = limits
        self.waitingEntries = waitingEntries
    }

    public var isInStock: Bool { stock.available > 0 }
}

/// How many units of a resource exist, how many are free to take and how many are held. Only the
/// ``Inventory`` changes it.
///
/// Invariant, kept by the inventory and by CHECK constraints in the schema: `available >= 0`,
/// `held >= 0`, `available + held <= total`. The units that are neither available nor held are booked.
/// A stock read for a client counts the units of holds past their `expires_at` as available, whether or
/// not anything has reclaimed them yet (``Hold``).
public struct Stock: Sendable, Equatable {
    public let total: Int
    public let available: Int
    public let held: Int

    public init(total: Int, available: Int, held: Int = 0) {
        self.total = total
        self.available = available
        self.held = held
    }

    /// Units taken by active bookings.
    public var booked: Int { total - available - held }
}

/// What one user may take of a resource; nil means no limit.
public struct UserLimits: Sendable, Equatable {
    /// Units one user may have booked plus held at once.
    public var maxPerUser: Int?
    /// Units in one booking or hold.
    public var maxPerBooking: Int?

    public init(maxPerUser: Int? = nil, maxPerBooking: Int? = nil) {
        self.maxPerUser = maxPerUser
        self.maxPerBooking = maxPerBooking
    }

    public var isUnlimited: Bool { maxPerUser == nil && maxPerBooking == nil }

    /// Whether a user who has `owned` units (booked plus held, unexpired) may take `quantity` more.
    ///
    /// - Throws: ``AppError/perBookingLimit(max:)`` first, then ``AppError/perUserLimit(max:remaining:)``.
    public func check(taking quantity: Int, owned: Int) throws(AppError) {
        if let maxPerBooking, quantity > maxPerBooking {
            throw .perBookingLimit(max: maxPerBooking)
        }
        if let maxPerUser, owned + quantity > maxPerUser {
            throw .perUserLimit(max: maxPerUser, remaining: max(0, maxPerUser - owned))
        }
    }
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
    /// Holds not yet confirmed, released or expired.
    public let activeHolds: Int

    public init(resource: Resource, activeBookings: Int, activeUnits: Int, cancelledBookings: Int, activeHolds: Int) {
        self.resource = resource
        self.activeBookings = activeBookings
        self.activeUnits = activeUnits
        self.cancelledBookings = cancelledBookings
        self.activeHolds = activeHolds
    }
}
