import Foundation

/// The one place where bookings take and return stock.
public struct BookingService: Sendable {
    let database: DatabaseHandle

    public static let pageSizes = 1...1000
    public static let defaultPageSize = 100

    /// Which bookings a listing shows, by status.
    public enum StatusFilter: String, Sendable, CaseIterable {
        case active, cancelled, all
    }

    public struct Query: Sendable {
        public var resourceID: Int?
        public var status: StatusFilter
        public var limit: Int
        public var offset: Int

        public init(resourceID: Int? = nil, status: StatusFilter = .active, limit: Int = BookingService.defaultPageSize, offset: Int = 0) {
            self.resourceID = resourceID
            self.status = status
            self.limit = limit
            self.offset = offset
        }
    }

    /// Books `quantity` units for `user`. The stock is taken by one conditional UPDATE in the same
    /// transaction as the booking's insert, so concurrent bookings can never take more than there is.
    public func book(_ reference: ResourceReference?, quantity: Int?, for user: User) async throws -> Booking {
        guard let reference else {
            throw AppError.invalidField(field: "resource", reason: "resource is required (an id or a name)")
        }
        if case .name(let name) = reference {
            _ = try Validate.required(name, field: "resource")
            // No resource has a longer name, so there is nothing to find.
            guard name.count <= Validate.resourceNameLength.upperBound else { throw AppError.resourceNotFound }
        }
        let quantity = try Validate.positiveQuantity(quantity, field: "purchase_quantity")
        return try await database.transaction { sql in
            let resources = ResourceStore(sql: sql)
            guard let resource = try await resources.take(quantity, from: reference) else {
                guard let current = try await resources.find(reference) else { throw AppError.resourceNotFound }
                throw AppError.insufficientQuantity(requested: quantity, available: current.availableQuantity)
            }
            return try await BookingStore(sql: sql).insert(resource: resource, userID: user.id, quantity: quantity, at: Date())
        }
    }

    /// Cancels a booking and returns its units, exactly once: the status flips by compare-and-swap, and
    /// only the request that flipped it gives the units back. Someone else's booking is "not found".
    public func cancel(bookingID: Int, by user: User) async throws -> Booking {
        try await database.transaction { sql in
            let bookings = BookingStore(sql: sql)
            let ownerID = user.isAdmin ? nil : user.id
            if let released = try await bookings.cancel(id: bookingID, ownerID: ownerID, at: Date()) {
                try await ResourceStore(sql: sql).giveBack(released.quantity, to: released.resourceID)
            } else {
                guard let booking = try await bookings.find(id: bookingID), ownerID == nil || booking.userID == ownerID else {
                    throw AppError.bookingNotFound
                }
                throw AppError.bookingAlreadyCancelled
            }
            guard let cancelled = try await bookings.find(id: bookingID) else { throw AppError.bookingNotFound }
            return cancelled
        }
    }

    /// The caller's bookings, newest first; an admin sees everyone's.
    public func bookings(visibleTo user: User, _ query: Query) async throws -> [Booking] {
        guard Self.pageSizes.contains(query.limit) else {
            throw AppError.invalidField(field: "limit", reason: "limit must be an integer from 1 to 1000")
        }
        guard query.offset >= 0, query.offset <= Validate.quantityRange.upperBound else {
            throw AppError.invalidField(field: "offset", reason: "offset must be a non-negative integer")
        }
        let status: Booking.Status? = switch query.status {
        case .active: .active
        case .cancelled: .cancelled
        case .all: nil
        }
        let filter = BookingStore.Filter(
            userID: user.isAdmin ? nil : user.id, resourceID: query.resourceID, status: status,
            limit: query.limit, offset: query.offset
        )
        return try await BookingStore(sql: database.sql).list(filter)
    }
}
