import Foundation

/// Which resources a page of the catalogue shows: nil fields do not filter.
public struct CatalogueFilter: Sendable, Equatable {
    /// Part of the name, compared as names are (``String/resourceNameKey``: case, Unicode forms, spaces).
    public var search: String?
    /// true: only resources with units available; false: only those without.
    public var inStock: Bool?
    public var limit: Int
    public var offset: Int

    public init(search: String? = nil, inStock: Bool? = nil, limit: Int = Paging.defaultSize, offset: Int = 0) {
        self.search = search
        self.inStock = inStock
        self.limit = limit
        self.offset = offset
    }
}

/// The catalogue: reading resources, and their names and descriptions. Their stock changes only through
/// the ``Inventory``.
public protocol ResourceStore: Sendable {
    /// Every resource, by id, with its stock as at `now` (units of holds expired by then are available).
    func all(at now: Date) async throws -> [Resource]
    /// One page of the catalogue: in stock first, then by id; filtered by `filter`, with stock as at `now`.
    func page(_ filter: CatalogueFilter, at now: Date) async throws -> [Resource]
    /// The seed's listing (the first `cap` resources, in stock first, then by id, with stock as at `now`)
    /// written as its JSON answer by the database, with whether there are more; nil where the database
    /// cannot write it (SQLite), and the caller encodes ``catalogue`` itself.
    func catalogueJSON(cap: Int, at now: Date) async throws -> (json: String, more: Bool)?
    func find(_ reference: ResourceReference, at now: Date) async throws -> Resource?
    /// The units held, unexpired at `now`, across all resources.
    func unitsHeld(at now: Date) async throws -> Int
    /// The stock of each of a dated resource's `periods` as at `now` (units of lapsed holds count as
    /// available; a period with nothing stored has its date's capacity, all available). Creates nothing.
    func periodStock(of resource: Resource, periods: [PeriodKey], at now: Date) async throws -> [PeriodKey: Stock]
    /// The next `limit` dated resources with periods of one of `kinds` (and `search` in their names), by id
    /// after `after`. With `least` (days and nights: the day numbers of a range, `to` exclusive), each with the
    /// least units left over every day or night of it (as at `now`, in one statement); without, with nil.
    func datedPage(kinds: [PeriodKey.Kind], search: String?, after: Int, limit: Int, least: (from: Int64, to: Int64)?,
                   at now: Date) async throws -> [(resource: Resource, least: Int?)]
    /// ``periodStock(of:periods:at:)`` for the days or nights of a resource from `from` up to `to` (with at
    /// least `quantity` left), written as the availability's JSON answer by the database where it can
    /// (PostgreSQL); nil where it cannot (SQLite, slots), and the caller writes it itself.
    func availabilityJSON(of resource: Resource, from: LocalDate, to: LocalDate, quantity: Int?, at now: Date) async throws -> String?
    /// A dated resource's dates from `from` up to `to` with a capacity of their own, in date order.
    func calendar(of resource: Resource, from: LocalDate, to: LocalDate) async throws -> [(date: LocalDate, total: Int)]
    /// Each resource with its bookings and holds counted, as at `now`.
    func stockReport(at now: Date) async throws -> [ResourceStock]
}
