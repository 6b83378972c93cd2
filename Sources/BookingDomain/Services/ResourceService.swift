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
        public var maxPerUser: Int?
        public var maxPerBooking: Int?
        public var schedule: Schedule.Document?

        public init(name: String?, description: String?, totalQuantity: Int?, availableQuantity: Int?,
                    maxPerUser: Int? = nil, maxPerBooking: Int? = nil, schedule: Schedule.Document? = nil) {
            self.schedule = schedule
            self.name = name
            self.description = description
            self.totalQuantity = totalQuantity
            self.availableQuantity = availableQuantity
            self.maxPerUser = maxPerUser
            self.maxPerBooking = maxPerBooking
        }
    }

    public struct Changes: Sendable {
        public var name: String?
        public var description: String?
        public var totalQuantity: Int?
        /// nil: unchanged; `.some(nil)`: no limit from now on.
        public var maxPerUser: Int??
        public var maxPerBooking: Int??
        /// nil: unchanged; `.some(nil)`: a pool from now on.
        public var schedule: Schedule.Document??

        public init(name: String?, description: String?, totalQuantity: Int?, maxPerUser: Int?? = nil, maxPerBooking: Int?? = nil,
                    schedule: Schedule.Document?? = nil) {
            self.schedule = schedule
            self.name = name
            self.description = description
            self.totalQuantity = totalQuantity
            self.maxPerUser = maxPerUser
            self.maxPerBooking = maxPerBooking
        }
    }

    /// Every resource by id, split into those with units left and those without.
    /// The most resources the seed's listing (`GET /resources/` without paging) shows at once: a catalogue
    /// this large or smaller is listed whole, as the seed listed it; past it, the listing is the first
    /// page of this size and says where the rest is (README, "Trying it").
    public static let listingCap = Paging.sizes.upperBound

    /// The seed's listing: every resource (or the first ``listingCap``, in stock first, then by id), split
    /// into those in stock and those out of stock; `more` when there are others past the cap.
    /// `anonymous`: read where anyone's reads go (``Storage/publicReads``: the replicas, when there are some).
    public func catalogue(anonymous: Bool = false) async throws -> (inStock: [Resource], outOfStock: [Resource], more: Bool) {
        let page = try await reads(anonymous).page(CatalogueFilter(limit: Self.listingCap + 1), at: clock.now())
        let shown = page.prefix(Self.listingCap)
        return (shown.filter(\.isInStock), shown.filter { !$0.isInStock }, page.count > Self.listingCap)
    }

    /// The seed's listing as ``catalogue(anonymous:)`` reads it, written as its JSON answer by the database
    /// where it can (PostgreSQL); nil where it cannot.
    public func catalogueJSON(anonymous: Bool = false) async throws -> (json: String, more: Bool)? {
        try await reads(anonymous).catalogueJSON(cap: Self.listingCap, at: clock.now())
    }

    /// One page of the catalogue, in stock first, then by id, split as ``catalogue()`` splits it.
    public func catalogue(_ filter: CatalogueFilter, anonymous: Bool = false) async throws -> (inStock: [Resource], outOfStock: [Resource]) {
        try Validate.page(limit: filter.limit, offset: filter.offset)
        if let search = filter.search {
            try Validate.noControlCharacters(search, field: "search")
            guard search.unicodeScalars.count <= Validate.resourceNameLength.upperBound else {
                throw AppError.invalidField(field: "search", reason: "search must be at most \(Validate.resourceNameLength.upperBound) characters")
            }
        }
        let page = try await reads(anonymous).page(filter, at: clock.now())
        return (page.filter(\.isInStock), page.filter { !$0.isInStock })
    }

    /// Each resource with its booking and hold counts, for the operator's `stats` command.
    public func stockReport() async throws -> [ResourceStock] {
        try await storage.resources.stockReport(at: clock.now())
    }

    public func resource(id: Int, anonymous: Bool = false) async throws -> Resource {
        guard let resource = try await reads(anonymous).find(.id(id), at: clock.now()) else {
            throw AppError.resourceNotFound
        }
        return resource
    }

    public func create(_ draft: Draft, by actor: EventActor) async throws -> Resource {
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
        let schedule = try draft.schedule.map { document throws(AppError) in try Schedule(document) }
        if schedule != nil, available != total {
            throw AppError.invalidField(field: "available_quantity",
                                        reason: "a resource with a schedule has total_quantity units in every period; available_quantity is what is left of them")
        }
        let stock = Stock(total: total, available: available)
        let limits = UserLimits(maxPerUser: try Self.limit(draft.maxPerUser, field: "max_per_user"),
                                maxPerBooking: try Self.limit(draft.maxPerBooking, field: "max_per_booking"))
        guard let resource = try await storage.inventory.add(name: name, description: description, stock: stock, limits: limits, schedule: schedule,
                                                                 at: clock.now(), by: actor) else {
            throw AppError.resourceNameTaken
        }
        return resource
    }

    /// A limit is a positive number of units, or nil for none.
    static func limit(_ value: Int?, field: String) throws(AppError) -> Int? {
        guard let value else { return nil }
        return try Validate.positiveQuantity(value, field: field)
    }

    /// Renames, describes, resizes or limits a resource, all or nothing. Resizing moves the available units
    /// by the same delta and is refused while that would take them below zero, because those units are
    /// booked or held. A lower `max_per_user` takes nothing from anyone: it stops users above it taking more.
    public func update(id: Int, _ changes: Changes, by actor: EventActor) async throws -> Resource {
        let name = try changes.name.map { name throws(AppError) in try Validate.resourceName(name) }
        let description = try changes.description.map { text throws(AppError) in try Validate.description(text) }
        let total = try changes.totalQuantity.map { total throws(AppError) in try Validate.quantity(total, field: "total_quantity") }
        let maxPerUser = try changes.maxPerUser.map { value throws(AppError) in try Self.limit(value, field: "max_per_user") }
        let maxPerBooking = try changes.maxPerBooking.map { value throws(AppError) in try Self.limit(value, field: "max_per_booking") }
        let schedule = try changes.schedule.map { document throws(AppError) -> Schedule? in try document.map { document throws(AppError) in try Schedule(document) } }
        let edit = ResourceEdit(name: name, description: description, total: total, maxPerUser: maxPerUser, maxPerBooking: maxPerBooking,
                                schedule: schedule)
        return try await storage.inventory.update(resourceID: id, edit, at: clock.now(), by: actor)
    }

    /// The periods of a dated resource from local date `from` up to `to` (exclusive; at most 366 days,
    /// 31 for slots), each with its stock as at now; with `quantity`, only those with that many left.
    /// Reading creates no period.
    public func availability(id: Int, from: String?, to: String?, quantity: Int?, anonymous: Bool = false) async throws -> (Resource, [PeriodStock]) {
        let (resource, schedule, first, last) = try await availabilityRange(id: id, from: from, to: to, quantity: quantity, anonymous: anonymous)
        return (resource, try await periods(of: resource, schedule, from: first, to: last, quantity: quantity, anonymous: anonymous))
    }

    /// The answer of an availability: written as the API's JSON by the database where it can
    /// (PostgreSQL, days and nights), else the periods for the caller to write.
    public enum AvailabilityAnswer: Sendable {
        case json(String)
        case periods(Resource, [PeriodStock])
    }

    /// ``availability(id:from:to:quantity:anonymous:)`` as the API answers it: one read of the resource,
    /// then the database's JSON where it writes one, else the periods.
    public func availabilityAnswer(id: Int, from: String?, to: String?, quantity: Int?, anonymous: Bool = false) async throws -> AvailabilityAnswer {
        let (resource, schedule, first, last) = try await availabilityRange(id: id, from: from, to: to, quantity: quantity, anonymous: anonymous)
        if let json = try await reads(anonymous).availabilityJSON(of: resource, from: first, to: last, quantity: quantity, at: clock.now()) {
            return .json(json)
        }
        return .periods(resource, try await periods(of: resource, schedule, from: first, to: last, quantity: quantity, anonymous: anonymous))
    }

    private func periods(of resource: Resource, _ schedule: Schedule, from first: LocalDate, to last: LocalDate, quantity: Int?,
                         anonymous: Bool) async throws -> [PeriodStock] {
        let periods = schedule.listing(from: first, to: last)
        let stock = try await reads(anonymous).periodStock(of: resource, periods: periods.map(\.key), at: clock.now())
        return periods.compactMap { period in
            guard let stock = stock[period.key] else { return nil }
            if let quantity, stock.available < quantity { return nil }
            return PeriodStock(start: period.start, end: period.end, stock: stock)
        }
    }

    /// A dated resource and the dates an availability asks for, checked.
    private func availabilityRange(id: Int, from: String?, to: String?, quantity: Int?,
                                   anonymous: Bool) async throws -> (Resource, Schedule, LocalDate, LocalDate) {
        let resource = try await self.resource(id: id, anonymous: anonymous)
        guard let schedule = resource.schedule else { throw AppError.invalidPeriod(reason: "This resource is a pool: it has no periods.") }
        guard let from, let first = LocalDate(from) else { throw AppError.invalidField(field: "from", reason: "from is a date (2026-12-10).") }
        guard let to, let last = LocalDate(to) else { throw AppError.invalidField(field: "to", reason: "to is a date (2026-12-17).") }
        let most = schedule.kind == .slots ? 31 : 366
        guard first < last, last.dayNumber - first.dayNumber <= Int64(most) else {
            throw AppError.invalidField(field: "to", reason: "to must be after from, at most \(most) days later.")
        }
        if let quantity { _ = try Validate.positiveQuantity(quantity, field: "quantity") }
        return (resource, schedule, first, last)
    }

    /// How deep a search for availability may page.
    public static let searchDepth = 10_000
    /// The longest range a search reads for every resource (one resource's availability reads 366 days).
    public static let searchDays = 31

    /// The dated resources that can take `quantity` units (default 1) in every period of the range
    /// `start`..`end` as a booking of each would read it (dates: the daily and nightly resources, each in
    /// its own zone; times: the resources of slots), each with the least left over those periods, by id,
    /// `limit` from `offset`. A resource whose schedule refuses the range (misaligned, closed, outside its
    /// window) is not listed. Days and nights are decided in the database, a page at a time; slots are
    /// read resource by resource, since each has its own slots.
    public func available(start: String?, end: String?, quantity: Int?, search: String?, limit: Int, offset: Int,
                          anonymous: Bool = false) async throws -> [AvailableResource] {
        guard let range = try PeriodRange(start: start, end: end) else {
            throw AppError.invalidField(field: "start", reason: "start is required: a date (2026-12-10) or a time with its offset.")
        }
        let quantity = try Validate.positiveQuantity(quantity ?? 1, field: "quantity")
        try Validate.page(limit: limit, offset: offset)
        // Each page reads past the ones before it: deep pages are refused rather than read.
        guard offset <= Self.searchDepth else {
            throw AppError.invalidField(field: "offset", reason: "offset must be at most \(Self.searchDepth); narrow the search instead")
        }
        if let search { try Validate.noControlCharacters(search, field: "search") }
        let now = clock.now(), seconds = Int64(now.timeIntervalSince1970.rounded(.down))
        let kinds: [PeriodKey.Kind], least: (from: Int64, to: Int64)?
        switch range {
        case .dates(let first, let last):
            let to = (last ?? first.adding(days: 1)).dayNumber
            guard first.dayNumber < to, to - first.dayNumber <= Int64(Self.searchDays) else {
                throw AppError.invalidPeriod(reason: "end must be after start, at most \(Self.searchDays) days later for a search.")
            }
            (kinds, least) = ([.day, .night], (first.dayNumber, to))
        case .times:
            (kinds, least) = ([.slot], nil)
        }
        let reads = reads(anonymous), batch = max(100, limit + offset)
        var found: [AvailableResource] = [], skip = offset, after = 0
        while found.count < limit {
            let page = try await reads.datedPage(kinds: kinds, search: search, after: after, limit: batch, least: least, at: now)
            for (resource, leastLeft) in page where found.count < limit {
                after = resource.id
                guard let schedule = resource.schedule, let periods = try? schedule.periods(of: range, now: seconds) else { continue }
                var left = leastLeft ?? 0
                if leastLeft == nil {
                    let stock = try await reads.periodStock(of: resource, periods: periods.map(\.key), at: now)
                    left = periods.compactMap { stock[$0.key]?.available }.min() ?? 0
                }
                guard left >= quantity else { continue }
                if skip > 0 {
                    skip -= 1
                    continue
                }
                let span = schedule.span(of: periods)
                found.append(AvailableResource(resource: resource, available: left, start: span.range?.start ?? "", end: span.range?.end ?? ""))
            }
            if page.count < batch { break }
        }
        return found
    }

    /// A dated resource's dates from `from` up to `to` (at most 1,095 days) with a capacity of their own.
    public func calendar(id: Int, from: String?, to: String?) async throws -> [(date: LocalDate, total: Int)] {
        let resource = try await self.resource(id: id)
        guard resource.schedule != nil else { throw AppError.invalidPeriod(reason: "This resource is a pool: it has no dates.") }
        guard let from, let first = LocalDate(from) else { throw AppError.invalidField(field: "from", reason: "from is a date (2026-12-10).") }
        guard let to, let last = LocalDate(to) else { throw AppError.invalidField(field: "to", reason: "to is a date (2027-12-10).") }
        guard first < last, last.dayNumber - first.dayNumber <= Int64(Schedule.horizonDaysRange.upperBound) else {
            throw AppError.invalidField(field: "to", reason: "to must be after from, at most \(Schedule.horizonDaysRange.upperBound) days later.")
        }
        return try await storage.resources.calendar(of: resource, from: first, to: last)
    }

    /// Sets (a number: 0 closes it) or removes (nil) a dated resource's own capacity on `date`.
    public func setCapacity(id: Int, date: String, total: Int?, by actor: EventActor) async throws {
        guard let day = LocalDate(date) else { throw AppError.invalidField(field: "date", reason: "The date is YYYY-MM-DD.") }
        if let total { _ = try Validate.quantity(total, field: "total_quantity") }
        try await storage.inventory.setCapacity(resourceID: id, on: day, to: total, at: clock.now(), by: actor)
    }

    /// Deletes a resource and its history; refused while any booking on it is active, any hold unexpired
    /// or any waiting-list entry waiting.
    public func delete(id: Int, by actor: EventActor) async throws {
        try await storage.inventory.remove(resourceID: id, at: clock.now(), by: actor)
    }

    /// Where a read of the catalogue goes: an anonymous one where anyone's go, any other to the primary.
    private func reads(_ anonymous: Bool) -> any ResourceStore {
        anonymous ? storage.publicReads : storage.resources
    }
}

/// One period of a dated resource and its stock, as a read sees it.
public struct PeriodStock: Sendable, Equatable {
    public let start: String
    public let end: String
    public let stock: Stock
}

/// A dated resource that can take what a search asked for: the least units left over the range's periods,
/// and the range as a booking of it would be written.
public struct AvailableResource: Sendable, Equatable {
    public let resource: Resource
    public let available: Int
    public let start: String
    public let end: String
}
