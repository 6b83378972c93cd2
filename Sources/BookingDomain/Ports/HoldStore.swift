import Foundation

/// Reading holds. They are made, confirmed, released and expired only through the ``Inventory``.
public protocol HoldStore: Sendable {
    func find(id: Int) async throws -> Hold?
    /// Newest first. The status filter is applied as at `now` (``Hold/status(at:)``).
    func list(_ filter: HoldFilter, at now: Date) async throws -> [Hold]
    /// Forgets up to `limit` holds that were released or expired before `before` (a confirmed hold stays
    /// with its booking); returns how many. Housekeeping, past `EVENT_RETENTION`.
    func purgeEnded(before: Date, limit: Int) async throws -> Int
}

/// Which holds a listing shows: nil fields do not filter.
public struct HoldFilter: Sendable, Equatable {
    public var userID: Int?
    public var resourceID: Int?
    public var status: Hold.Status?
    public var limit: Int
    public var offset: Int

    public init(userID: Int?, resourceID: Int?, status: Hold.Status?, limit: Int, offset: Int) {
        self.userID = userID
        self.resourceID = resourceID
        self.status = status
        self.limit = limit
        self.offset = offset
    }
}
