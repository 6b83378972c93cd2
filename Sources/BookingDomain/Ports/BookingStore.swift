/// Reading bookings. They are made and cancelled only through the ``Inventory``.
public protocol BookingStore: Sendable {
    func find(id: Int) async throws -> Booking?
    /// Newest first.
    func list(_ filter: BookingFilter) async throws -> [Booking]
}

/// Which bookings a listing shows: nil fields do not filter.
public struct BookingFilter: Sendable, Equatable {
    public var userID: Int?
    public var resourceID: Int?
    public var status: Booking.Status?
    public var limit: Int
    public var offset: Int

    public init(userID: Int?, resourceID: Int?, status: Booking.Status?, limit: Int, offset: Int) {
        self.userID = userID
        self.resourceID = resourceID
        self.status = status
        self.limit = limit
        self.offset = offset
    }
}
