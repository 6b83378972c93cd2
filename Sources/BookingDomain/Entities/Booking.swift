import Foundation

/// Units of one resource held by one user. A cancelled booking keeps its row for history.
public struct Booking: Sendable, Equatable {
    public enum Status: String, Sendable, CaseIterable {
        case active
        case cancelled
    }

    public let id: Int
    public let resourceID: Int
    public let resourceName: String
    public let userID: Int
    public let purchaseQuantity: Int
    public let bookingDate: Date
    public let status: Status
    /// The hold this booking confirmed; nil for a booking made directly.
    public let holdID: Int?
    /// The periods it takes units in, for a dated resource; nil for a pool.
    public let range: TakenRange?
    /// The series it is an occurrence of; nil for a booking on its own.
    public let seriesID: Int?

    public init(id: Int, resourceID: Int, resourceName: String, userID: Int, purchaseQuantity: Int, bookingDate: Date, status: Status,
                holdID: Int? = nil, range: TakenRange? = nil, seriesID: Int? = nil) {
        self.id = id
        self.range = range
        self.seriesID = seriesID
        self.resourceID = resourceID
        self.resourceName = resourceName
        self.userID = userID
        self.purchaseQuantity = purchaseQuantity
        self.bookingDate = bookingDate
        self.status = status
        self.holdID = holdID
    }
}
