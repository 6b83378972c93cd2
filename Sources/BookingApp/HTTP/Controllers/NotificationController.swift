import BookingDomain
import Vapor

/// The e-mail outbox (admins): `GET /notifications/`, `POST /notifications/{id}/retry`.
struct NotificationController: APIController {
    let server: ServerContext

    func boot(routes: APIRoutes) {
        let notifications = routes.admin.grouped("notifications")
        notifications.get(use: index)
        notifications.post(":id", "retry", use: retry)
        // The link in each message: GET shows a button (a mail scanner that follows links turns nothing
        // off), POST turns the message's kind off for its recipient (RFC 8058 one-click, no sign-in).
        routes.anyone.get("unsubscribe", ":token", use: confirmUnsubscribe)
        routes.anyone.post("unsubscribe", ":token", use: unsubscribe)
    }

    @Sendable func confirmUnsubscribe(req: Request, caller: Principal?) async throws -> Response {
        let token = req.parameters.get("token") ?? ""
        let safe = SessionService.isWellFormed(token: token) ? token : ""
        return Self.page("""
            <p>Stop this kind of e-mail from the booking service?</p>
            <form method="post" action="/unsubscribe/\(safe)"><input type="hidden" name="List-Unsubscribe" value="One-Click">\
            <button type="submit">Stop these e-mails</button></form>
            """)
    }

    @Sendable func unsubscribe(req: Request, caller: Principal?) async throws -> Response {
        let kind = try await server.domain.notifications.unsubscribe(token: req.parameters.get("token") ?? "", from: server.clientAddress(of: req))
        let said = kind == .security ? "Security notices cannot be turned off; nothing changed."
                                     : "You will get no more \(kind.rawValue.replacingOccurrences(of: "_", with: " ")) e-mails. Turn them on again in your account."
        return Self.page("<p>\(said)</p>")
    }

    static func page(_ body: String) -> Response {
        Response(status: .ok, headers: ["Content-Type": "text/html; charset=utf-8"], body: .init(string: """
            <!doctype html><html lang="en"><head><meta charset="utf-8"><title>E-mail</title></head><body>\(body)</body></html>
            """))
    }

    /// `?status=queued|sent|failed&limit=1...1000&offset=N`, newest first.
    @Sendable func index(req: Request, caller: Principal) async throws -> [NotificationResponse] {
        var status: QueuedMail.Status?
        if let text = req.queryText("status") {
            guard let value = QueuedMail.Status(rawValue: text) else {
                throw AppError.invalidField(field: "status", reason: "status must be one of queued, sent, failed")
            }
            status = value
        }
        return try await server.domain.notifications.list(status: status, limit: try req.integerQuery("limit") ?? Paging.defaultSize,
                                                          offset: try req.integerQuery("offset") ?? 0).map(NotificationResponse.init)
    }

    @Sendable func retry(req: Request, caller: Principal) async throws -> NotificationResponse {
        NotificationResponse(try await server.domain.notifications.retry(id: try req.pathID(notFound: .notificationNotFound)))
    }
}

struct NotificationResponse: Content {
    let id: Int
    let event: Int
    let kind: String
    let template: String
    let user: Int
    let recipient: String
    let messageID: String
    let status: String
    let attempts: Int
    let lastError: String?
    let createdAt: String
    let sentAt: String?

    enum CodingKeys: String, CodingKey {
        case id, event, kind, template, user, recipient, status, attempts
        case messageID = "message_id"
        case lastError = "last_error"
        case createdAt = "created_at"
        case sentAt = "sent_at"
    }

    init(_ mail: QueuedMail) {
        id = mail.id
        event = mail.eventID
        kind = mail.kind.rawValue
        template = mail.template
        user = mail.userID
        recipient = mail.recipientEmail
        messageID = mail.messageID
        status = mail.status.rawValue
        attempts = mail.attempts
        lastError = mail.lastError
        createdAt = mail.createdAt.wireFormat
        sentAt = mail.sentAt?.wireFormat
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(event, forKey: .event)
        try container.encode(kind, forKey: .kind)
        try container.encode(template, forKey: .template)
        try container.encode(user, forKey: .user)
        try container.encode(recipient, forKey: .recipient)
        try container.encode(messageID, forKey: .messageID)
        try container.encode(status, forKey: .status)
        try container.encode(attempts, forKey: .attempts)
        try container.encodeOrNull(lastError, forKey: .lastError)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encodeOrNull(sentAt, forKey: .sentAt)
    }
}
