import BookingDomain
import Foundation
import SQLKit

// How each entity is read from a result row. Column lists are kept next to the decoders that expect them.

extension User {
    /// The columns `init(row:)` reads, optionally qualified by a table alias for joins.
    static func columns(of alias: String? = nil) -> SQLQueryString {
        let prefix = alias.map { "\($0)." } ?? ""
        return SQLQueryString(
            ["id", "username", "email", "is_admin", "is_active", "created_at"].map { prefix + $0 }.joined(separator: ", ")
        )
    }

    init(row: any SQLRow) throws {
        self.init(
            id: try row.decode(column: "id", as: Int.self),
            username: try row.decode(column: "username", as: String.self),
            email: try row.decode(column: "email", as: String.self),
            isAdmin: try row.decode(column: "is_admin", as: Bool.self),
            isActive: try row.decode(column: "is_active", as: Bool.self),
            createdAt: try row.decode(column: "created_at", as: Date.self)
        )
    }
}

extension Resource {
    static let columns: SQLQueryString = "id, name, description, total_quantity, available_quantity"

    init(row: any SQLRow) throws {
        self.init(
            id: try row.decode(column: "id", as: Int.self),
            name: try row.decode(column: "name", as: String.self),
            description: try row.decode(column: "description", as: String.self),
            stock: Stock(
                total: try row.decode(column: "total_quantity", as: Int.self),
                available: try row.decode(column: "available_quantity", as: Int.self)
            )
        )
    }
}

extension Booking {
    static let columns: SQLQueryString = """
        b.id, b.resource_id, r.name AS resource_name, b.user_id, b.purchase_quantity, b.booking_date, b.status
        """

    init(row: any SQLRow) throws {
        let status = try row.decode(column: "status", as: String.self)
        guard let status = Status(rawValue: status) else {
            throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "unknown booking status \(status)"))
        }
        self.init(
            id: try row.decode(column: "id", as: Int.self),
            resourceID: try row.decode(column: "resource_id", as: Int.self),
            resourceName: try row.decode(column: "resource_name", as: String.self),
            userID: try row.decode(column: "user_id", as: Int.self),
            purchaseQuantity: try row.decode(column: "purchase_quantity", as: Int.self),
            bookingDate: try row.decode(column: "booking_date", as: Date.self),
            status: status
        )
    }
}

/// The database answered in a way its schema rules out; a server fault, never the client's.
struct DatabaseInvariantViolation: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
