import BookingDomain
import Vapor

struct ResourceController: APIController {
    let server: ServerContext

    func boot(routes: APIRoutes) {
        let open = routes.anyone.grouped("resources"), admin = routes.admin.grouped("resources")
        open.get(use: index)
        open.get(":id", use: show)
        routes.anyone.grouped("availability").get(use: search)
        open.get(":id", "availability", use: availability)
        open.get(":id", "calendar", use: calendar)
        admin.put(":id", "calendar", ":date", use: setCapacity)
        admin.delete(":id", "calendar", ":date", use: resetCapacity)
        // A description may be 10,000 characters, JSON-escaped: room for it, and no more.
        admin.post(maxBody: "128kb", use: create)
        admin.patch(":id", maxBody: "128kb", use: update)
        admin.delete(":id", use: delete)
    }

    /// The catalogue is the same for every caller, so concurrent requests share one query and one JSON
    /// encoding (on PostgreSQL the database writes the JSON); each still gets a read that began after it
    /// arrived (see ``FreshReadCoalescer``). The
    /// answer has an `ETag` (304 for a client that has it), is gzipped for a client that asks, and past
    /// `ResourceService.listingCap` resources is the first page with a `Link` to the next (``CatalogueListing``).
    /// With `search`, `in_stock`, `limit` or `offset`, one page of it (in stock first, then by id).
    @Sendable func index(req: Request, caller: Principal?) async throws -> Response {
        let resources = server.domain.resources, anonymous = caller == nil
        if let filter = try Self.catalogueFilter(req) {
            let page = try await resources.catalogue(filter, anonymous: anonymous)
            return try await ResourceCatalogueResponse(resources: page.inStock.map(ResourceResponse.init),
                                                       outOfStockResources: page.outOfStock.map(ResourceResponse.init))
                .encodeResponse(for: req)
        }
        let listings = anonymous ? server.anonymousCatalogue.listings : server.catalogue.listings
        let listing = try await (anonymous ? server.anonymousCatalogue.reads : server.catalogue.reads).value {
            if let written = try await resources.catalogueJSON(anonymous: anonymous) {
                return listings.latest(ByteBuffer(string: written.json), more: written.more)
            }
            let catalogue = try await resources.catalogue(anonymous: anonymous)
            let response = ResourceCatalogueResponse(
                resources: catalogue.inStock.map(ResourceResponse.init),
                outOfStockResources: catalogue.outOfStock.map(ResourceResponse.init)
            )
            var buffer = ByteBuffer()
            var headers = HTTPHeaders()
            try ContentConfiguration.global.requireEncoder(for: .json).encode(response, to: &buffer, headers: &headers)
            return listings.latest(buffer, more: catalogue.more)
        }
        return try listing.response(to: req)
    }

    /// The page a request asks for; nil when it names none of the parameters (the seed's whole list).
    private static func catalogueFilter(_ req: Request) throws -> CatalogueFilter? {
        let search = req.queryText("search")
        let inStock = try req.queryText("in_stock").map { text in
            guard let value = Bool(text) else { throw AppError.invalidField(field: "in_stock", reason: "in_stock must be true or false") }
            return value
        }
        let limit = try req.integerQuery("limit"), offset = try req.integerQuery("offset")
        guard search != nil || inStock != nil || limit != nil || offset != nil else { return nil }
        return CatalogueFilter(search: search, inStock: inStock, limit: limit ?? Paging.defaultSize, offset: offset ?? 0)
    }

    @Sendable func show(req: Request, caller: Principal?) async throws -> ResourceResponse {
        ResourceResponse(try await server.domain.resources.resource(id: try req.pathID(notFound: .resourceNotFound), anonymous: caller == nil))
    }

    /// `?from=DATE&to=DATE&quantity=N`: a dated resource's periods in that range with their stock. On
    /// PostgreSQL the database writes days' and nights' JSON and it is passed through; elsewhere the DTOs.
    @Sendable func availability(req: Request, caller: Principal?) async throws -> Response {
        let id = try req.pathID(notFound: .resourceNotFound), from = req.queryText("from"), to = req.queryText("to")
        switch try await server.domain.resources.availabilityAnswer(id: id, from: from, to: to, quantity: try req.integerQuery("quantity"),
                                                                     anonymous: caller == nil) {
        case .json(let json):
            return Response(status: .ok, json: ByteBuffer(string: json))
        case .periods(let resource, let periods):
            return try await AvailabilityResponse(resource: resource.id, timeZone: resource.schedule?.zone.identifier ?? "UTC",
                                                  periods: periods.map(AvailabilityResponse.Period.init)).encodeResponse(for: req)
        }
    }

    /// `?start=&end=&quantity=&search=&limit=&offset=`: the dated resources that can take the units in
    /// every period of the range.
    @Sendable func search(req: Request, caller: Principal?) async throws -> [AvailableResourceResponse] {
        try await server.domain.resources.available(
            start: req.queryText("start"), end: req.queryText("end"), quantity: try req.integerQuery("quantity"),
            search: req.queryText("search"), limit: try req.integerQuery("limit") ?? Paging.defaultSize,
            offset: try req.integerQuery("offset") ?? 0, anonymous: caller == nil
        ).map(AvailableResourceResponse.init)
    }

    /// `?from=DATE&to=DATE`: a dated resource's dates with a capacity of their own.
    @Sendable func calendar(req: Request, caller: Principal?) async throws -> [CalendarDay] {
        try await server.domain.resources.calendar(id: try req.pathID(notFound: .resourceNotFound), from: req.queryText("from"),
                                                   to: req.queryText("to")).map { CalendarDay(date: "\($0.date)", totalQuantity: $0.total) }
    }

    /// `{"total_quantity": n}`: every period of the date gets n units (0 closes it).
    @Sendable func setCapacity(req: Request, caller: Principal) async throws -> CalendarDay {
        let id = try req.pathID(notFound: .resourceNotFound), date = req.parameters.get("date") ?? ""
        guard let total = try req.decodeJSON(CalendarDayRequest.self).totalQuantity?.value else {
            throw AppError.invalidField(field: "total_quantity", reason: "total_quantity is required")
        }
        try await server.domain.resources.setCapacity(id: id, date: date, total: total, by: .user(caller.user.id))
        return CalendarDay(date: date, totalQuantity: total)
    }

    /// The date's capacity is the resource's own again.
    @Sendable func resetCapacity(req: Request, caller: Principal) async throws -> HTTPStatus {
        try await server.domain.resources.setCapacity(id: try req.pathID(notFound: .resourceNotFound), date: req.parameters.get("date") ?? "",
                                                      total: nil, by: .user(caller.user.id))
        return .noContent
    }

    @Sendable func create(req: Request, caller: Principal) async throws -> Response {
        let body = try req.decodeJSON(ResourceRequest.self)
        let resource = try await server.domain.resources.create(body.draft, by: .user(caller.user.id))
        return try await ResourceResponse(resource).encodeResponse(status: .created, for: req)
    }

    @Sendable func update(req: Request, caller: Principal) async throws -> ResourceResponse {
        let id = try req.pathID(notFound: .resourceNotFound)
        let changes = try req.decodeJSON(ResourceRequest.self).changes()
        return ResourceResponse(try await server.domain.resources.update(id: id, changes, by: .user(caller.user.id)))
    }

    @Sendable func delete(req: Request, caller: Principal) async throws -> HTTPStatus {
        try await server.domain.resources.delete(id: try req.pathID(notFound: .resourceNotFound), by: .user(caller.user.id))
        return .noContent
    }
}
