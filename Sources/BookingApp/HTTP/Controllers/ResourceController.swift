import Vapor

struct ResourceController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let resources = routes.grouped("resources")
        resources.get(use: index)
        resources.post(use: create)
        resources.get(":id", use: show)
        resources.patch(":id", use: update)
        resources.delete(":id", use: delete)
    }

    /// The catalogue is the same for every caller, so concurrent requests share one query and one JSON
    /// encoding; each still gets a read that began after it arrived (see ``FreshReadCoalescer``).
    @Sendable func index(req: Request) async throws -> Response {
        let resources = req.domain.resources
        let body = try await req.application.catalogueReads.value {
            let catalogue = try await resources.catalogue()
            let response = ResourceCatalogueResponse(
                resources: catalogue.inStock.map(ResourceResponse.init),
                outOfStockResources: catalogue.outOfStock.map(ResourceResponse.init)
            )
            var buffer = ByteBuffer()
            var headers = HTTPHeaders()
            try ContentConfiguration.global.requireEncoder(for: .json).encode(response, to: &buffer, headers: &headers)
            return buffer
        }
        return Response(status: .ok, headers: ["Content-Type": "application/json; charset=utf-8"], body: .init(buffer: body))
    }

    @Sendable func show(req: Request) async throws -> ResourceResponse {
        ResourceResponse(try await req.domain.resources.resource(id: try resourceID(req)))
    }

    @Sendable func create(req: Request) async throws -> Response {
        _ = try req.requireAdmin()
        let body = try req.decodeJSON(ResourceRequest.self)
        let resource = try await req.domain.resources.create(body.draft)
        return try await ResourceResponse(resource).encodeResponse(status: .created, for: req)
    }

    @Sendable func update(req: Request) async throws -> ResourceResponse {
        _ = try req.requireAdmin()
        let id = try resourceID(req)
        let changes = try req.decodeJSON(ResourceRequest.self).changes()
        return ResourceResponse(try await req.domain.resources.update(id: id, changes))
    }

    @Sendable func delete(req: Request) async throws -> HTTPStatus {
        _ = try req.requireAdmin()
        try await req.domain.resources.delete(id: try resourceID(req))
        return .noContent
    }

    /// A path id that is not an integer names no resource.
    private func resourceID(_ req: Request) throws -> Int {
        guard let id = req.parameters.get("id", as: Int.self) else { throw AppError.resourceNotFound }
        return id
    }
}
