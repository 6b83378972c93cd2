import BookingDomain
import Vapor

struct EventController: APIController {
    let server: ServerContext

    func boot(routes: APIRoutes) {
        routes.admin.get("events", use: index)
        let webhooks = routes.admin.grouped("webhooks")
        // A URL of 2,000 characters and a description of 500, escaped, fit with room to spare.
        webhooks.post(maxBody: "64kb", use: createWebhook)
        webhooks.get(use: webhookIndex)
        webhooks.get(":id", use: showWebhook)
        webhooks.patch(":id", maxBody: "64kb", use: updateWebhook)
        webhooks.delete(":id", use: deleteWebhook)
        webhooks.get(":id", "deliveries", use: deliveries)
        webhooks.post(":id", "deliveries", ":delivery", "retry", use: retry)
        webhooks.post(":id", "test", use: test)
    }

    /// `?after=ID&type=T&type=U&resource=ID&limit=N`: the feed after the cursor, oldest first.
    @Sendable func index(req: Request, caller: Principal) async throws -> [EventResponse] {
        let types = try Self.typeQuery(req)
        let events = try await server.domain.events.events(after: try req.integerQuery("after") ?? 0, types: types,
                                                        resourceID: try req.integerQuery("resource"),
                                                        limit: try req.integerQuery("limit") ?? Paging.defaultSize)
        return events.map(EventResponse.init)
    }

    /// `type` may repeat (`type=a&type=b`) or list types with commas (`type=a,b`).
    private static func typeQuery(_ req: Request) throws -> [String] {
        let given: [String]
        if let many = try? req.query.get([String].self, at: "type") {
            given = many
        } else if let one = req.queryText("type") {
            given = [one]
        } else {
            given = []
        }
        return given.flatMap { $0.split(separator: ",").map(String.init) }
    }

    /// 201 with the endpoint and its signing secret, which is never shown again.
    @Sendable func createWebhook(req: Request, caller: Principal) async throws -> Response {
        let body = try req.decodeJSON(WebhookRequest.self)
        let created = try await server.domain.webhooks.create(url: body.url, events: body.events, description: body.description)
        return try await WebhookResponse(created.endpoint, secret: created.secret).encodeResponse(status: .created, for: req)
    }

    @Sendable func webhookIndex(req: Request, caller: Principal) async throws -> [WebhookResponse] {
        try await server.domain.webhooks.endpoints().map { WebhookResponse($0) }
    }

    @Sendable func showWebhook(req: Request, caller: Principal) async throws -> WebhookResponse {
        WebhookResponse(try await server.domain.webhooks.endpoint(id: try req.pathID(notFound: .webhookNotFound)))
    }

    @Sendable func updateWebhook(req: Request, caller: Principal) async throws -> WebhookResponse {
        let id = try req.pathID(notFound: .webhookNotFound)
        let body = try req.decodeJSON(WebhookRequest.self)
        return WebhookResponse(try await server.domain.webhooks.update(id: id, url: body.url, events: body.events,
                                                                    description: body.description, enabled: body.enabled))
    }

    @Sendable func deleteWebhook(req: Request, caller: Principal) async throws -> HTTPStatus {
        try await server.domain.webhooks.delete(id: try req.pathID(notFound: .webhookNotFound))
        return .noContent
    }

    /// Newest first: `limit`, `offset`.
    @Sendable func deliveries(req: Request, caller: Principal) async throws -> [WebhookDeliveryResponse] {
        let id = try req.pathID(notFound: .webhookNotFound)
        return try await server.domain.webhooks.deliveries(endpointID: id, limit: try req.integerQuery("limit") ?? Paging.defaultSize,
                                                        offset: try req.integerQuery("offset") ?? 0).map(WebhookDeliveryResponse.init)
    }

    @Sendable func retry(req: Request, caller: Principal) async throws -> Response {
        let id = try req.pathID(notFound: .webhookNotFound)
        let deliveryID = try req.pathID("delivery", notFound: .webhookDeliveryNotFound)
        let delivery = try await server.domain.webhooks.retry(endpointID: id, deliveryID: deliveryID)
        return try await WebhookDeliveryResponse(delivery).encodeResponse(status: .created, for: req)
    }

    @Sendable func test(req: Request, caller: Principal) async throws -> Response {
        let delivery = try await server.domain.webhooks.test(endpointID: try req.pathID(notFound: .webhookNotFound))
        return try await WebhookDeliveryResponse(delivery).encodeResponse(status: .created, for: req)
    }
}
