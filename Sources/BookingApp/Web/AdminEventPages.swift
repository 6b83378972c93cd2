import BookingDomain
import Vapor

/// The admin's pages for the event log and the webhook endpoints: the same services as `/events/` and
/// `/webhooks/`.
struct AdminEventPages {
    let server: ServerContext
    static let pageSize = 50

    func boot(_ pages: PageRoutes) {
        pages.admin.get("admin", "events", use: events)
        pages.admin.get("admin", "webhooks", use: webhooks)
        pages.admin.post("admin", "webhooks", use: create)
        pages.admin.get("admin", "webhooks", ":id", use: webhook)
        pages.admin.post("admin", "webhooks", ":id", use: change)
        pages.admin.post("admin", "webhooks", ":id", "test", use: test)
        pages.admin.post("admin", "webhooks", ":id", "delete", use: delete)
        pages.admin.post("admin", "webhooks", ":id", "deliveries", ":delivery", "retry", use: retry)
        pages.admin.get("admin", "notifications", use: notifications)
        pages.admin.post("admin", "notifications", ":id", "retry", use: retryNotification)
    }

    struct NotificationView: Encodable, Sendable {
        let id: Int
        let createdAt: String
        let recipient: String
        let template: String
        let status: String
        let attempts: Int
        let lastError: String
        let failed: Bool
    }

    struct NotificationsContext: Encodable, Sendable {
        let page: PageContext
        let notifications: [NotificationView]
        let empty: Bool
        let sending: Bool
    }

    /// The e-mail outbox, newest first, with a retry button on failed messages.
    @Sendable func notifications(req: Request, session: WebSession) async throws -> Response {
        let found = try await server.domain.notifications.list(status: nil, limit: Self.pageSize, offset: 0)
        let views = found.map { mail in
            NotificationView(id: mail.id, createdAt: mail.createdAt.wireFormat, recipient: mail.recipientEmail, template: mail.template,
                             status: mail.status.rawValue, attempts: mail.attempts, lastError: mail.lastError ?? "", failed: mail.status == .failed)
        }
        return try await server.pages.render("admin-notifications", NotificationsContext(
            page: PageContext(req, title: "E-mail"), notifications: views, empty: views.isEmpty, sending: server.domain.mail != nil), for: req)
    }

    @Sendable func retryNotification(req: Request, session: WebSession) async throws -> Response {
        _ = try await server.domain.notifications.retry(id: try req.pathID(notFound: .notificationNotFound))
        return Page.redirect("/admin/notifications", done: "saved", for: req)
    }

    struct EventView: Encodable, Sendable {
        let id: Int
        let type: String
        let occurredAt: String
        let actor: String
        let subject: String
        let quantity: String
        let stock: String
    }

    struct EventsContext: Encodable, Sendable {
        let page: PageContext
        let events: [EventView]
        let types: [String]
        let type: String
        let resource: String
        let older: String?
    }

    @Sendable func events(req: Request, session: WebSession) async throws -> Response {
        let type = req.queryText("type") ?? ""
        let resource = (try? req.integerQuery("resource")) ?? nil
        let before = (try? req.integerQuery("before")) ?? nil
        var message: AppError?, found: [Event] = []
        do {
            found = try await server.domain.events.recent(before: before, types: type.isEmpty ? [] : [type], resourceID: resource, limit: Self.pageSize)
        } catch let refusal as AppError {
            message = refusal
        }
        let views = found.map { event in
            let subject = event.subject
            var parts: [String] = []
            if let name = subject.resourceName { parts.append("resource \(subject.resourceID.map(String.init) ?? "?") \(name)") }
            if let id = subject.bookingID { parts.append("booking \(id)") }
            if let id = subject.holdID { parts.append("hold \(id)") }
            if let id = subject.waitlistEntryID { parts.append("entry \(id)") }
            if let id = subject.userID { parts.append("user \(event.user?.username ?? String(id))") }
            return EventView(id: event.id, type: event.type.rawValue, occurredAt: event.occurredAt.wireFormat,
                             actor: event.actor.userID.map { "user \($0)" } ?? "system", subject: parts.joined(separator: ", "),
                             quantity: event.quantity.map(String.init) ?? "",
                             stock: event.stock.map { "\($0.available) / \($0.held) / \($0.total)" } ?? "")
        }
        var query = ""
        if !type.isEmpty { query += "&type=\(type.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(["."])) ?? "")" }
        if let resource { query += "&resource=\(resource)" }
        let older = found.count == Self.pageSize ? found.last.map { "/admin/events?before=\($0.id)\(query)" } : nil
        let context = EventsContext(page: PageContext(req, title: "Events", error: message?.reason), events: views,
                                    types: EventType.allCases.map(\.rawValue), type: type, resource: resource.map(String.init) ?? "", older: older)
        return try await server.pages.render("admin-events", context, status: message?.status ?? .ok, for: req)
    }

    struct EndpointView: Encodable, Sendable {
        let id: Int
        let url: String
        let description: String
        let events: String
        let enabled: Bool
        let state: String
        let lastEventID: Int

        init(_ endpoint: WebhookEndpoint) {
            id = endpoint.id
            url = endpoint.url
            description = endpoint.description
            events = endpoint.eventTypes.map(\.rawValue).joined(separator: ", ")
            enabled = endpoint.enabled
            lastEventID = endpoint.cursor
            if !endpoint.enabled {
                state = "disabled" + (endpoint.disabledReason.map { ": \($0)" } ?? "")
            } else if let next = endpoint.nextAttemptAt {
                state = "retrying at \(next.wireFormat) after \(endpoint.consecutiveFailures) failure(s)"
            } else {
                state = "enabled"
            }
        }
    }

    struct WebhooksContext: Encodable, Sendable {
        let page: PageContext
        let endpoints: [EndpointView]
        let types: [String]
        let secret: String?
    }

    private func renderWebhooks(_ req: Request, error: AppError? = nil, secret: String? = nil, status: HTTPStatus = .ok) async throws -> Response {
        let endpoints = try await server.domain.webhooks.endpoints().map(EndpointView.init)
        let context = WebhooksContext(page: PageContext(req, title: "Webhooks", error: error?.reason), endpoints: endpoints,
                                      types: EventType.allCases.map(\.rawValue), secret: secret)
        return try await server.pages.render("admin-webhooks", context, status: error?.status ?? status, for: req)
    }

    @Sendable func webhooks(req: Request, session: WebSession) async throws -> Response {
        try await renderWebhooks(req)
    }

    struct WebhookForm: Content {
        var url: String?
        var description: String?
        var events: [String]?
    }

    /// The secret is shown on the answer to this form only (not after a redirect, which would need it stored to show).
    @Sendable func create(req: Request, session: WebSession) async throws -> Response {
        do {
            let form = try req.content.decode(WebhookForm.self)
            let created = try await server.domain.webhooks.create(url: form.url, events: form.events ?? [], description: form.description)
            return try await renderWebhooks(req, secret: created.secret, status: .created)
        } catch let error as AppError {
            return try await renderWebhooks(req, error: error)
        }
    }

    struct DeliveryView: Encodable, Sendable {
        let id: Int
        let event: String
        let webhookID: String
        let trigger: String
        let attemptedAt: String
        let result: String
        let succeeded: Bool
    }

    struct WebhookContext: Encodable, Sendable {
        let page: PageContext
        let endpoint: EndpointView
        let deliveries: [DeliveryView]
    }

    private func renderWebhook(_ req: Request, id: Int, error: AppError? = nil) async throws -> Response {
        let webhooks = server.domain.webhooks
        let endpoint = try await webhooks.endpoint(id: id)
        let deliveries = try await webhooks.deliveries(endpointID: id, limit: Self.pageSize, offset: 0).map { delivery in
            DeliveryView(id: delivery.id, event: delivery.eventID.map { "\(delivery.eventType) (\($0))" } ?? delivery.eventType,
                         webhookID: delivery.messageID, trigger: delivery.trigger.rawValue, attemptedAt: delivery.attemptedAt.wireFormat,
                         result: (delivery.statusCode.map { "HTTP \($0)" } ?? delivery.error ?? "no answer") + " in \(delivery.durationMilliseconds) ms",
                         succeeded: delivery.succeeded)
        }
        let context = WebhookContext(page: PageContext(req, title: "Webhook \(id)", error: error?.reason), endpoint: EndpointView(endpoint),
                                     deliveries: deliveries)
        return try await server.pages.render("admin-webhook", context, status: error?.status ?? .ok, for: req)
    }

    @Sendable func webhook(req: Request, session: WebSession) async throws -> Response {
        try await renderWebhook(req, id: try req.pathID(notFound: .webhookNotFound))
    }

    struct ChangeForm: Content {
        var enabled: String?
    }

    @Sendable func change(req: Request, session: WebSession) async throws -> Response {
        let id = try req.pathID(notFound: .webhookNotFound)
        do {
            let enabled = try req.content.decode(ChangeForm.self).enabled
            guard let enabled, enabled == "true" || enabled == "false" else {
                throw AppError.invalidField(field: "enabled", reason: "enabled must be true or false")
            }
            _ = try await server.domain.webhooks.update(id: id, url: nil, events: nil, description: nil, enabled: enabled == "true")
            return Page.redirect("/admin/webhooks/\(id)", done: "saved", for: req)
        } catch let error as AppError where error.status != .notFound {
            return try await renderWebhook(req, id: id, error: error)
        }
    }

    @Sendable func test(req: Request, session: WebSession) async throws -> Response {
        let id = try req.pathID(notFound: .webhookNotFound)
        _ = try await server.domain.webhooks.test(endpointID: id)
        return Page.redirect("/admin/webhooks/\(id)", done: "sent", for: req)
    }

    @Sendable func retry(req: Request, session: WebSession) async throws -> Response {
        let id = try req.pathID(notFound: .webhookNotFound)
        _ = try await server.domain.webhooks.retry(endpointID: id, deliveryID: try req.pathID("delivery", notFound: .webhookDeliveryNotFound))
        return Page.redirect("/admin/webhooks/\(id)", done: "sent", for: req)
    }

    @Sendable func delete(req: Request, session: WebSession) async throws -> Response {
        try await server.domain.webhooks.delete(id: try req.pathID(notFound: .webhookNotFound))
        return Page.redirect("/admin/webhooks", done: "webhook-deleted", for: req)
    }
}
