import Foundation

/// The catalogue of resources and the admin's changes to their stock.
public struct ResourceService: Sendable {
    let database: DatabaseHandle

    public struct Draft: Sendable {
        public var name: String?
        public var description: String?
        public var totalQuantity: Int?
        public var availableQuantity: Int?

        public init(name: String?, description: String?, totalQuantity: Int?, availableQuantity: Int?) {
            self.name = name
            self.description = description
            self.totalQuantity = totalQuantity
            self.availableQuantity = availableQuantity
        }
    }

    public struct Changes: Sendable {
        public var name: String?
        public var description: String?
        public var totalQuantity: Int?

        public init(name: String?, description: String?, totalQuantity: Int?) {
            self.name = name
            self.description = description
            self.totalQuantity = totalQuantity
        }
    }

    /// Every resource by id, split into those with units left and those without.
    public func catalogue() async throws -> (inStock: [Resource], outOfStock: [Resource]) {
        let all = try await ResourceStore(sql: database.sql).all()
        return (all.filter(\.isInStock), all.filter { !$0.isInStock })
    }

    /// Each resource with its booking counts, for the operator's `stats` command.
    public func stockReport() async throws -> [ResourceStock] {
        try await ResourceStore(sql: database.sql).stockReport()
    }

    public func resource(id: Int) async throws -> Resource {
        guard let resource = try await ResourceStore(sql: database.sql).find(.id(id)) else {
            throw AppError.resourceNotFound
        }
        return resource
    }

    public func create(_ draft: Draft) async throws -> Resource {
        let name = try Validate.resourceName(draft.name)
        let description = try Validate.description(draft.description)
        guard let total = draft.totalQuantity else {
            throw AppError.invalidField(field: "total_quantity", reason: "total_quantity is required")
        }
        _ = try Validate.quantity(total, field: "total_quantity")
        let available = try Validate.quantity(draft.availableQuantity ?? total, field: "available_quantity")
        guard available <= total else {
            throw AppError.invalidField(field: "available_quantity", reason: "available_quantity cannot exceed total_quantity")
        }
        let inserted = try await database.write { sql in
            try await ResourceStore(sql: sql).insert(name: name, description: description, total: total, available: available, at: Date())
        }
        guard let resource = inserted else { throw AppError.resourceNameTaken }
        return resource
    }

    /// Renames, describes or resizes a resource. Resizing moves the available units by the same delta and
    /// is refused while that would take them below zero, because those units are booked.
    public func update(id: Int, _ changes: Changes) async throws -> Resource {
        let name = try changes.name.map { name throws(AppError) in try Validate.resourceName(name) }
        let description = try changes.description.map { text throws(AppError) in try Validate.description(text) }
        let total = try changes.totalQuantity.map { total throws(AppError) in try Validate.quantity(total, field: "total_quantity") }

        let store = ResourceStore(sql: database.sql)
        if let name, let holder = try await store.find(.name(name)), holder.id != id {
            throw AppError.resourceNameTaken
        }
        let updated: Resource?
        do {
            updated = try await database.write { sql in
                try await ResourceStore(sql: sql).update(id: id, name: name, description: description, total: total)
            }
        } catch let error as any DatabaseConstraintFailure where error.isConstraintFailure && name != nil {
            // Another request took the name between the check above and this update.
            throw AppError.resourceNameTaken
        }
        if let updated { return updated }
        guard let current = try await store.find(.id(id)) else { throw AppError.resourceNotFound }
        throw AppError.totalBelowBooked(booked: current.totalQuantity - current.availableQuantity)
    }

    /// Deletes a resource and its cancelled bookings; refused while any booking on it is active.
    public func delete(id: Int) async throws {
        try await database.transaction { sql in
            let resources = ResourceStore(sql: sql), bookings = BookingStore(sql: sql)
            guard try await resources.lock(id: id) != nil else { throw AppError.resourceNotFound }
            let active = try await bookings.activeCount(resourceID: id)
            guard active == 0 else { throw AppError.resourceHasActiveBookings(count: active) }
            try await bookings.deleteAll(resourceID: id)
            try await resources.delete(id: id)
        }
    }
}
