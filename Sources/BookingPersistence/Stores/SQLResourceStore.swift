import BookingDomain
import FluentKit
import Foundation
import SQLKit

struct SQLResourceStore: ResourceStore {
    let session: SQLSession

    // Reading the stock as at `now` joins the lapsed holds, which makes the statement more than twice as
    // costly to plan and run. Where nothing is held nothing can have lapsed, and the stored stock is exact:
    // so the plain row is read first, and the join only when some unit is held.

    func all(at now: Date) async throws -> [Resource] {
        let stored = try await session.sql.raw("SELECT \(Resource.columns) FROM resources ORDER BY id").all().map(Resource.init(row:))
        guard stored.contains(where: { $0.stock.held > 0 }) else { return stored }
        return try await session.sql.raw("SELECT \(Resource.columns) FROM \(Resource.current(at: now)) ORDER BY id").all().map(Resource.init(row:))
    }

    /// In stock first, then by id: read as two parts, each in id order (the primary key's), so a page costs
    /// what its rows cost, not a sort of the whole catalogue. The stored stock is read directly unless some
    /// hold has lapsed without being reclaimed (then as at `now`, through ``Resource/current(at:)``).
    func page(_ filter: CatalogueFilter, at now: Date) async throws -> [Resource] {
        let lapsed = try await session.sql.raw("""
            SELECT id FROM holds WHERE status = 'held' AND \(Hold.lapsed(at: now)) LIMIT 1
            """).first() != nil
        let source: SQLQueryString = lapsed ? Resource.current(at: now) : "resources r"
        var conditions: [SQLQueryString] = []
        if let search = filter.search, let matching = Self.nameMatching(search) { conditions.append(matching) }
        func part(inStock: Bool, limit: Int, offset: Int) async throws -> [Resource] {
            guard limit > 0 else { return [] }
            let stock: SQLQueryString = inStock ? "r.available_quantity > 0" : "r.available_quantity <= 0"
            return try await session.sql.raw("""
                SELECT \(Resource.columns) FROM \(source) WHERE \((conditions + [stock]).joined(separator: " AND "))
                ORDER BY r.id LIMIT \(bind: limit) OFFSET \(bind: offset)
                """).all().map(Resource.init(row:))
        }
        var page: [Resource] = []
        var inStockBefore = 0
        if filter.inStock != false {
            page = try await part(inStock: true, limit: filter.limit, offset: filter.offset)
            if !page.isEmpty || filter.offset == 0 {
                inStockBefore = filter.offset + page.count
            } else {
                // Past the last in-stock row: count them to know where the out-of-stock part starts.
                inStockBefore = try await session.sql.raw("""
                    SELECT COUNT(*) AS n FROM \(source) WHERE \((conditions + ["r.available_quantity > 0"]).joined(separator: " AND "))
                    """).first()?.decode(column: "n", as: Int.self) ?? 0
            }
        }
        if filter.inStock != true, page.count < filter.limit {
            page += try await part(inStock: false, limit: filter.limit - page.count, offset: max(0, filter.offset - inStockBefore))
        }
        return page
    }

    /// PostgreSQL writes the seed's listing as the API answers it (`ResourceCatalogueResponse`, its keys in
    /// the order the API sorts them; pinned to the DTOs' encoding by a test), in one statement: the stored
    /// stock when no held unit has lapsed, else the stock as at `now`, chosen inside the statement.
    func catalogueJSON(cap: Int, at now: Date) async throws -> (json: String, more: Bool)? {
        guard session.dialect == .postgres else { return nil }
        let item: SQLQueryString = """
            json_build_object('available_quantity', p.available_quantity, 'description', p.description,
                'held_quantity', p.held_quantity, 'id', p.id, 'max_per_booking', p.max_per_booking, 'max_per_user', p.max_per_user,
                'name', p.name, 'schedule', CAST(p.schedule AS json), 'total_quantity', p.total_quantity, 'waiting_count', p.waiting_count)
            """
        let row = try await session.sql.raw("""
            WITH lapsed AS (
                SELECT EXISTS (SELECT 1 FROM holds WHERE status = 'held' AND \(Hold.lapsed(at: now))) AS held_lapsed
            ), page AS (
                SELECT * FROM (
                    SELECT \(Resource.columns) FROM resources r WHERE NOT (SELECT held_lapsed FROM lapsed)
                    UNION ALL
                    SELECT \(Resource.columns) FROM \(Resource.current(at: now)) WHERE (SELECT held_lapsed FROM lapsed)
                ) stock ORDER BY available_quantity <= 0, id LIMIT \(bind: cap + 1)
            ), shown AS (
                SELECT * FROM page ORDER BY available_quantity <= 0, id LIMIT \(bind: cap)
            )
            SELECT json_build_object(
                'message', 'Resources fetched successfully',
                'out of stock resources', COALESCE((SELECT json_agg(\(item) ORDER BY p.id) FROM shown p WHERE p.available_quantity <= 0), '[]'),
                'resources', COALESCE((SELECT json_agg(\(item) ORDER BY p.id) FROM shown p WHERE p.available_quantity > 0), '[]')
            )::text AS listing, (SELECT COUNT(*) FROM page) > \(bind: cap) AS more
            """).first()
        guard let row else { throw DatabaseInvariantViolation("the catalogue's statement returned no row") }
        return (try row.decode(column: "listing", as: String.self), try row.decode(column: "more", as: Bool.self))
    }

    func find(_ reference: ResourceReference, at now: Date) async throws -> Resource? {
        let stored = try await session.sql.raw("SELECT \(Resource.columns) FROM resources WHERE \(Resource.matching(reference))")
            .first().map(Resource.init(row:))
        guard let stored, stored.stock.held > 0 else { return stored }
        return try await session.sql.raw("SELECT \(Resource.columns) FROM \(Resource.current(at: now)) WHERE id = \(bind: stored.id)")
            .first().map(Resource.init(row:))
    }

    func periodStock(of resource: Resource, periods: [PeriodKey], at now: Date) async throws -> [PeriodKey: Stock] {
        guard let schedule = resource.schedule, let first = periods.min(), let last = periods.max() else { return [:] }
        let stored = try await LockedStock.storedPeriods(of: resource.id, keys: Set(periods),
                                                         days: Set(periods.map { schedule.date(of: $0).dayNumber }), in: session)
        var stock = stored.stock
        // Periods with nothing stored have their date's capacity (its own, or the resource's), all available.
        for key in periods where stock[key] == nil {
            let total = stored.calendar[schedule.date(of: key).dayNumber] ?? resource.stock.total
            stock[key] = Stock(total: total, available: total)
        }
        guard stock.values.contains(where: { $0.held > 0 }) else { return stock }
        // Units of holds that lapsed but are still stored as held count as available, in each of their periods.
        for row in try await session.sql.raw("""
            SELECT quantity, \(TakenRange.columns("holds")) FROM holds
            WHERE resource_id = \(bind: resource.id) AND status = \(bind: Hold.Status.held.rawValue) AND \(Hold.lapsed(at: now))
              AND period_from <= \(bind: last.index) AND period_to > \(bind: first.index)
            """).all() {
            guard let range = try TakenRange(row: row) else { continue }
            let units = try row.decode(column: "quantity", as: Int.self)
            for key in schedule.keys(of: range) {
                if let period = stock[key] { stock[key] = period.moving(available: units, held: -units) }
            }
        }
        return stock
    }

    /// The condition that `r`'s name contains `search`, compared by their keys; nil for a search of nothing.
    private static func nameMatching(_ search: String) -> SQLQueryString? {
        guard !search.resourceNameKey.isEmpty else { return nil }
        // A LIKE pattern of the search's key, its own wildcards escaped: names are compared by their keys.
        let escaped = search.resourceNameKey.replacingOccurrences(of: "\\", with: "\\\\")
            .replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_")
        return "r.name_key LIKE \(bind: "%" + escaped + "%") ESCAPE '\\'"
    }

    func datedPage(kinds: [PeriodKey.Kind], search: String?, after: Int, limit: Int, least: (from: Int64, to: Int64)?,
                   at now: Date) async throws -> [(resource: Resource, least: Int?)] {
        var conditions: [SQLQueryString] = ["r.period_kind IN (\(LockedStock.list(Set(kinds.map(\.rawValue)))))", "r.id > \(bind: after)"]
        if let search, let matching = Self.nameMatching(search) { conditions.append(matching) }
        guard let least else {
            return try await session.sql.raw("""
                SELECT \(Resource.columns) FROM resources r WHERE \(conditions.joined(separator: " AND ")) ORDER BY r.id LIMIT \(bind: limit)
                """).all().map { (try Resource(row: $0), nil) }
        }
        // The next `limit` candidates by id first (the primary key's order, so a page costs its own rows); then
        // for each, every day of the range: its stored stock (with the units of lapsed holds back), else its
        // date's own capacity, else the resource's; the least of them. Every candidate is answered, with its
        // least, so that the caller pages on by the last one read.
        let day = DayStock(resource: "r.id", kind: "r.period_kind", capacity: "r.total_quantity", at: now)
        let rows = try await session.sql.raw("""
            WITH RECURSIVE days(day) AS (
                SELECT CAST(\(bind: least.from) AS BIGINT) UNION ALL SELECT day + 1 FROM days WHERE day + 1 < \(bind: least.to)
            ), candidates AS (
                SELECT r.id FROM resources r WHERE \(conditions.joined(separator: " AND ")) ORDER BY r.id LIMIT \(bind: limit)
            )
            SELECT * FROM (
                SELECT \(Resource.columns), (SELECT CAST(MIN(\(day.available)) AS BIGINT) FROM \(day.days)) AS least_left
                FROM resources r WHERE r.id IN (SELECT id FROM candidates)
            ) page ORDER BY id
            """).all()
        return try rows.map { (try Resource(row: $0), try $0.decode(column: "least_left", as: Int.self)) }
    }

    /// One statement: each day of the range with its stored stock (the units of holds lapsed by `now`
    /// back), else its date's own capacity, else the resource's, as the API's JSON (its keys sorted, as the
    /// DTOs are; pinned to them by a test).
    func availabilityJSON(of resource: Resource, from: LocalDate, to: LocalDate, quantity: Int?, at now: Date) async throws -> String? {
        guard session.dialect == .postgres, let schedule = resource.schedule, schedule.kind != .slots else { return nil }
        let day = DayStock(resource: "\(bind: resource.id)", kind: "\(bind: schedule.kind.periodKind.rawValue)",
                           capacity: "\(bind: resource.stock.total)", at: now)
        let row = try await session.sql.raw("""
            WITH days AS (
                SELECT g AS day FROM generate_series(CAST(\(bind: from.dayNumber) AS BIGINT), CAST(\(bind: to.dayNumber - 1) AS BIGINT)) g
            ), periods AS (
                SELECT d.day, \(day.total) AS total, \(day.available) AS available, \(day.held) AS held FROM \(day.days)
            )
            SELECT json_build_object(
                'periods', COALESCE(json_agg(json_build_object(
                    'available_quantity', available, 'booked_quantity', total - available - held,
                    'end', to_char(DATE '1970-01-01' + CAST(day + 1 AS INTEGER), 'YYYY-MM-DD'), 'held_quantity', held,
                    'start', to_char(DATE '1970-01-01' + CAST(day AS INTEGER), 'YYYY-MM-DD'), 'total_quantity', total) ORDER BY day), '[]'),
                'resource', \(bind: resource.id), 'time_zone', \(bind: schedule.zone.identifier))::text AS answer
            FROM periods WHERE available >= \(bind: quantity ?? Int.min)
            """).first()
        guard let row else { throw DatabaseInvariantViolation("the availability's statement returned no row") }
        return try row.decode(column: "answer", as: String.self)
    }

    /// The one SQL reading of a day's or night's stock, for statements over a CTE `days(day)` of day
    /// numbers: its stored row with the units of holds lapsed by `now` back, else its date's own capacity,
    /// else the resource's (the rule `periodStock(of:periods:at:)` applies in Swift). `resource`, `kind` and
    /// `capacity` are SQL for the resource's id, its periods' kind and its total.
    struct DayStock {
        /// `days d` joined to the day's row (`ps`) and its date's capacity (`c`).
        let days: SQLQueryString
        let total: SQLQueryString
        let available: SQLQueryString
        let held: SQLQueryString

        init(resource: SQLQueryString, kind: SQLQueryString, capacity: SQLQueryString, at now: Date) {
            days = """
                days d LEFT JOIN period_stock ps ON ps.resource_id = \(resource) AND ps.kind = \(kind) AND ps.idx = d.day
                LEFT JOIN resource_calendar c ON c.resource_id = \(resource) AND c.day = d.day
                """
            let lapsed: SQLQueryString = """
                CASE WHEN ps.held_quantity > 0 THEN (
                    SELECT CAST(COALESCE(SUM(h.quantity), 0) AS BIGINT) FROM holds h
                    WHERE h.resource_id = \(resource) AND h.status = 'held' AND h.expires_at <= \(bind: now)
                      AND h.period_from <= d.day AND h.period_to > d.day) ELSE 0 END
                """
            total = "COALESCE(ps.total_quantity, c.total_quantity, \(capacity))"
            available = "COALESCE(ps.available_quantity + \(lapsed), c.total_quantity, \(capacity))"
            held = "COALESCE(ps.held_quantity - \(lapsed), 0)"
        }
    }

    func calendar(of resource: Resource, from: LocalDate, to: LocalDate) async throws -> [(date: LocalDate, total: Int)] {
        try await session.sql.raw("""
            SELECT day, total_quantity FROM resource_calendar
            WHERE resource_id = \(bind: resource.id) AND day >= \(bind: from.dayNumber) AND day < \(bind: to.dayNumber) ORDER BY day
            """).all().map { (LocalDate(dayNumber: try $0.decode(column: "day", as: Int64.self)), try $0.decode(column: "total_quantity", as: Int.self)) }
    }

    func unitsHeld(at now: Date) async throws -> Int {
        try await session.sql.raw("""
            SELECT CAST((SELECT COALESCE(SUM(held_quantity), 0) FROM resources)
                      - (SELECT COALESCE(SUM(quantity), 0) FROM holds
                         WHERE status = 'held' AND \(Hold.lapsed(at: now)) AND period_from IS NULL) AS BIGINT) AS units
            """).first()?.decode(column: "units", as: Int.self) ?? 0
    }

    func stockReport(at now: Date) async throws -> [ResourceStock] {
        let active = Booking.Status.active.rawValue, cancelled = Booking.Status.cancelled.rawValue
        return try await session.sql.raw("""
            SELECT r.id, r.name, r.description, r.total_quantity, r.available_quantity, r.held_quantity, r.max_per_user, r.max_per_booking, r.waiting_count,
                   r.schedule,
                   (SELECT COUNT(*) FROM bookings b WHERE b.resource_id = r.id AND b.status = \(bind: active)) AS active_bookings,
                   (SELECT CAST(COALESCE(SUM(b.purchase_quantity), 0) AS BIGINT) FROM bookings b
                    WHERE b.resource_id = r.id AND b.status = \(bind: active)) AS active_units,
                   (SELECT COUNT(*) FROM bookings b WHERE b.resource_id = r.id AND b.status = \(bind: cancelled)) AS cancelled_bookings,
                   (SELECT COUNT(*) FROM holds h WHERE h.resource_id = r.id AND h.status = 'held' AND h.expires_at > \(bind: now)) AS active_holds
            FROM \(Resource.current(at: now)) ORDER BY r.id
            """).all().map { row in
            ResourceStock(resource: try Resource(row: row),
                          activeBookings: try row.decode(column: "active_bookings", as: Int.self),
                          activeUnits: try row.decode(column: "active_units", as: Int.self),
                          cancelledBookings: try row.decode(column: "cancelled_bookings", as: Int.self),
                          activeHolds: try row.decode(column: "active_holds", as: Int.self))
        }
    }
}

extension Resource {
    /// The condition that picks the resource a client referred to: by id, or by name regardless of case.
    static func matching(_ reference: ResourceReference) -> SQLQueryString {
        switch reference {
        case .id(let id): "id = \(bind: id)"
        case .name(let name): "name_key = \(bind: name.resourceNameKey)"
        }
    }
}
