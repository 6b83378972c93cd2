import Foundation

/// The e-mail outbox. Messages are planned from the event log, which holds exactly the changes that
/// committed, so no message is ever queued for a change that did not; one relay at a time (a lease on
/// the outbox's cursor) turns new events into queued messages and moves the cursor in one transaction,
/// and any number of relays send the due ones, each claimed by one (`FOR UPDATE SKIP LOCKED` on PostgreSQL).
public protocol NotificationStore: Sendable {
    /// Takes the planning lease until `leaseUntil` and answers the cursor (the last event planned for; nil
    /// before mail was first sent: then nothing earlier is planned); nil while another relay holds it.
    func claimPlanning(token: String, leaseUntil: Date, at now: Date) async throws -> PlanningLease?
    /// Queues `mails` (each at most once: a Message-ID already queued is skipped) to each user's address as
    /// it is now, except those of a kind the user turned off (``User/mailOff``; `security` always goes), moves the cursor to `cursor` and gives the lease up, in one transaction; false (nothing
    /// written) if the lease was lost meanwhile.
    func queue(_ mails: [PlannedMail], messageIDHost: String, cursor: Int, token: String, at now: Date) async throws -> Bool
    /// Claims up to `limit` queued messages that are due, until `leaseUntil`.
    func claimDue(token: String, leaseUntil: Date, at now: Date, limit: Int) async throws -> [QueuedMail]
    /// Records an attempt: sent, or failed (then `retryAt`, or nil: failed for good).
    func record(_ id: Int, token: String, outcome: MailOutcome, retryAt: Date?, at now: Date) async throws
    /// The outbox, newest first (admins).
    func list(status: QueuedMail.Status?, limit: Int, offset: Int) async throws -> [QueuedMail]
    /// The user a message went to and its kind, by the message's unsubscribe token; nil for a token no
    /// message has.
    func recipient(ofUnsubscribeToken token: String) async throws -> (user: Int, kind: NotificationKind)?
    /// When the oldest message not yet sent (nor failed) was queued; nil when none waits.
    func oldestUnsent() async throws -> Date?
    /// Makes a failed or queued message due now (queued again); nil if there is no such message.
    func retry(id: Int, at now: Date) async throws -> QueuedMail?
}

/// The planning lease: where the cursor stands.
public struct PlanningLease: Sendable, Equatable {
    public let cursor: Int?

    public init(cursor: Int?) {
        self.cursor = cursor
    }
}

/// A message in the outbox.
public struct QueuedMail: Sendable, Equatable {
    public enum Status: String, Sendable, CaseIterable {
        case queued, sent, failed
    }

    public let id: Int
    public let eventID: Int
    public let kind: NotificationKind
    public let template: String
    public let userID: Int
    public let recipientName: String
    public let recipientEmail: String
    public let messageID: String
    /// Turns off this message's kind for its user, without signing in (the `List-Unsubscribe` link).
    public let unsubscribeToken: String
    public let facts: [String: EventValue]
    public let status: Status
    public let attempts: Int
    public let lastError: String?
    public let createdAt: Date
    public let sentAt: Date?

    public init(id: Int, eventID: Int, kind: NotificationKind, template: String, userID: Int, recipientName: String, recipientEmail: String,
                messageID: String, unsubscribeToken: String, facts: [String: EventValue], status: Status, attempts: Int, lastError: String?, createdAt: Date, sentAt: Date?) {
        self.id = id
        self.eventID = eventID
        self.kind = kind
        self.template = template
        self.userID = userID
        self.recipientName = recipientName
        self.recipientEmail = recipientEmail
        self.messageID = messageID
        self.unsubscribeToken = unsubscribeToken
        self.facts = facts
        self.status = status
        self.attempts = attempts
        self.lastError = lastError
        self.createdAt = createdAt
        self.sentAt = sentAt
    }
}

/// How an attempt to hand a message over ended.
public enum MailOutcome: Sendable, Equatable {
    case sent
    /// `permanent`: the server refused it for good (5xx); else it may be tried again.
    case failed(permanent: Bool, reason: String)
}

/// Hands one message to the mail server.
public protocol MailSender: Sendable {
    func send(_ mail: QueuedMail) async -> MailOutcome
    /// The longest one ``send(_:)`` takes: it gives up (a transient failure) by then.
    var attemptLimit: Duration { get }
}
