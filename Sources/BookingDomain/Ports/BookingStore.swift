/// Reading bookings. They are made and cancelled only through the ``Inventory``.
public protocol BookingStore: Sendable {
    func find(id: Int) async throws -> Booking?
    /// Newest first.
    func list(_ filter: BookingFilter) async throws -> [Booking]
    /// The same page as ``list(_:)``, already written as the API's JSON array (each booking with the
    /// fields and formats of the API's booking object), when the database can build it (PostgreSQL); nil
    /// when it cannot, and the caller encodes ``list(_:)`` instead. It spares the server decoding each
    /// row and encoding it again.
    func listJSON(_ filter: BookingFilter) async throws -> String?
}

/// Which bookings a listing shows: nil fields do not filter.
public struct BookingFilter: Sendable, Equatable {
    public var userID: Int?
    public var resourceID: Int?
    public var status: Booking.Status?
    public var limit: Int
    public var offset: Int
    /// Only bookings that are no occurrence of a series.
    public var standalone: Bool

    public init(userID: Int?, resourceID: Int?, status: Booking.Status?, limit: Int, offset: Int, standalone: Bool = false) {
        self.standalone = standalone
        self.userID = userID
        self.resourceID = resourceID
        self.status = status
        self.limit = limit
        self.offset = offset
    }
}
