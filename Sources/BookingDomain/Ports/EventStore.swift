import Foundation

/// The event log. Events are appended by the transaction that makes the change (the ``Inventory`` for
/// stock, the services for everything else), so an event commits exactly when its change does.
public protocol EventStore: Sendable {
    /// Writes an event in the current transaction (on the pool: on its own). It has no place in the feed
    /// until ``sequence()`` gives it one, after it has committed.
    func append(_ event: NewEvent) async throws

    /// Numbers the committed events that have no place in the feed yet, in the order they were written,
    /// after every event numbered before. One numbering runs at a time on every server (a row lock), so
    /// ids only grow in the order events become visible. Returns how many it numbered.
    func sequence() async throws -> Int

    /// Events after the cursor, oldest first.
    func list(_ filter: EventFilter) async throws -> [Event]

    /// The newest event id in the feed (0 for none).
    func head() async throws -> Int

    /// Deletes up to `limit` events that occurred before `date`; returns how many.
    func purge(before date: Date, limit: Int) async throws -> Int
}

/// Which events a listing shows: those after `after` and up to `through`, of any of `types` (nil: all),
/// about `resourceID`; oldest first, or `newestFirst` (the admin's page).
public struct EventFilter: Sendable, Equatable {
    public var after: Int
    public var through: Int?
    public var types: Set<EventType>?
    public var resourceID: Int?
    public var limit: Int
    public var newestFirst: Bool

    public init(after: Int = 0, through: Int? = nil, types: Set<EventType>? = nil, resourceID: Int? = nil, limit: Int = Paging.defaultSize,
                newestFirst: Bool = false) {
        self.after = after
        self.through = through
        self.types = types
        self.resourceID = resourceID
        self.limit = limit
        self.newestFirst = newestFirst
    }
}
