/// Reading booking series. They are made and cancelled only through the ``Inventory``.
public protocol SeriesStore: Sendable {
    func find(id: Int) async throws -> BookingSeries?
    /// Newest first; all users' when `userID` is nil.
    func list(userID: Int?, limit: Int, offset: Int) async throws -> [BookingSeries]
}
