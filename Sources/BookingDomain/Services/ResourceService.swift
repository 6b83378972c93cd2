import Foundation

/// The catalogue of resources and the admin's changes to them. Their stock moves only in the ``Inventory``.
public struct ResourceService: Sendable {
    let storage: any Storage
    let clock: any WallClock

    public init(storage: any Storage, clock: any WallClock) {
        self.storage = storage
        self.clock = clock
    }

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
        let all = try await storage.resources.all()
        return (all.filter(\.isInStock), all.filter { !$0.isInStock })
    }

    /// Each resource with its booking counts, for the operator's `stats` command.
    public func stockReport() async throws -> [ResourceStock] {
        try await storage.resources.stockReport()
    }

    public func resource(id: Int) async throws -> Resource {
        guard let resource = try await storage.resources.find(.id(id)) else {
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
        let stock = Stock(total: total, available: available)
        guard let resource = try await storage.inventory.add(name: name, description: description, stock: stock, at: clock.now()) else {
            throw AppError.resourceNameTaken
        }
        return resource
    }

    /// Renames, describes or resizes a resource, all or nothing. Resizing moves the available units by the
    /// same delta and is refused while that would take them below zero, because those units are booked.
    public func update(id: Int, _ changes: Changes) async throws -> Resource {
        let name = try changes.name.map { name throws(AppError) in try Validate.resourceName(name) }
        let description = try changes.description.map { text throws(AppError) in try Validate.description(text) }
        let total = try changes.totalQuantity.map { total throws(AppError) in try Validate.quantity(total, field: "total_quantity") }

        if let name, let holder = try await storage.resources.find(.name(name)), holder.id != id {
            throw AppError.resourceNameTaken
        }
        let change: @Sendable (any Storage) async throws -> Resource = { storage in
            var resource: Resource?
            if name != nil || description != nil {
                resource = try await storage.resources.describe(id: id, name: name, description: description)
                guard resource != nil else { throw AppError.resourceNotFound }
            }
            if let total {
                resource = try await storage.inventory.resize(resourceID: id, total: total)
            }
            if let resource { return resource }
            // Nothing to change: the resource as it is.
            guard let current = try await storage.resources.find(.id(id)) else { throw AppError.resourceNotFound }
            return current
        }
        // Both kinds of change together are one transaction; either alone is one statement.
        if (name != nil || description != nil) && total != nil {
            return try await storage.transaction(change)
        }
        return try await change(storage)
    }

    /// Deletes a resource and its cancelled bookings; refused while any booking on it is active.
    public func delete(id: Int) async throws {
        try await storage.inventory.remove(resourceID: id)
    }
}
