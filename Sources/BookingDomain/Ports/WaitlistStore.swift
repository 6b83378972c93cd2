import Foundation

/// Reading waiting lists. Entries are added, served and ended only through the ``Inventory``.
public protocol WaitlistStore: Sendable {
    func find(id: Int) async throws -> WaitlistEntry?
    /// By `filter.order`. The status filter is applied as at `now` (``WaitlistEntry/status(at:)``).
    func list(_ filter: WaitlistFilter, at now: Date) async throws -> [WaitlistEntry]
    /// Entries waiting across all resources.
    func waitingCount() async throws -> Int
}

/// Which entries a listing shows: nil fields do not filter.
public struct WaitlistFilter: Sendable, Equatable {
    public enum Order: Sendable {
        /// Newest first: a user's own entries.
        case newestFirst
        /// In the order they joined: a resource's list as it is served.
        case line
    }

    public var userID: Int?
    public var resourceID: Int?
    /// nil: all; several: any of them.
    public var statuses: [WaitlistEntry.Status]?
    public var order: Order
    public var limit: Int
    public var offset: Int

    public init(userID: Int?, resourceID: Int?, statuses: [WaitlistEntry.Status]?, order: Order, limit: Int, offset: Int) {
        self.userID = userID
        self.resourceID = resourceID
        self.statuses = statuses
        self.order = order
        self.limit = limit
        self.offset = offset
    }
}
