import Foundation

/// What people are told by e-mail, by kind: each kind a user can turn off but `security`.
public enum NotificationKind: String, Sendable, CaseIterable, Codable {
    case booking, offer
    case holdReminder = "hold_reminder"
    case bookingReminder = "booking_reminder"
    case security
}

/// A message an event calls for: to whom, of which kind, on which template, with the facts the template
/// shows. Its Message-ID is derived from the event and the template, so a retry is the same message.
public struct PlannedMail: Sendable, Equatable {
    public let eventID: Int
    public let kind: NotificationKind
    /// `booking.created`, `booking.cancelled`, `waitlist.offered`, `security.password`, `security.deactivated`.
    public let template: String
    public let userID: Int
    public let facts: [String: EventValue]

    public init(eventID: Int, kind: NotificationKind, template: String, userID: Int, facts: [String: EventValue]) {
        self.eventID = eventID
        self.kind = kind
        self.template = template
        self.userID = userID
        self.facts = facts
    }

    /// `evt-42.booking.created@host`: stable across every attempt.
    public func messageID(host: String) -> String {
        "evt-\(eventID).\(template)@\(host)"
    }
}

/// Which e-mails an event calls for: a pure function of the event, so a relay on any server plans the
/// same messages for it (and inserting them again changes nothing).
public enum MailPlan {
    public static func mails(for event: Event) -> [PlannedMail] {
        var facts: [String: EventValue] = [:]
        if let name = event.subject.resourceName { facts["resource_name"] = .string(name) }
        if let quantity = event.quantity { facts["quantity"] = .int(quantity) }
        for key in ["start", "end", "expires_at", "time_zone"] {
            if let value = event.details[key] { facts[key] = value }
        }
        if let id = event.subject.bookingID { facts["booking_id"] = .int(id) }
        if let id = event.subject.holdID { facts["hold_id"] = .int(id) }
        if let id = event.subject.waitlistEntryID { facts["entry_id"] = .int(id) }
        // The message's Date: when its change happened (the same on every attempt).
        facts["occurred_at"] = .date(event.occurredAt)
        facts["actor_is_owner"] = .bool(event.actor.userID != nil && event.actor.userID == event.subject.userID)
        guard let userID = event.subject.userID else { return [] }
        func mail(_ kind: NotificationKind, _ template: String) -> [PlannedMail] {
            [PlannedMail(eventID: event.id, kind: kind, template: template, userID: userID, facts: facts)]
        }
        switch event.type {
        case .bookingCreated: return mail(.booking, "booking.created")
        case .bookingCancelled: return mail(.booking, "booking.cancelled")
        case .waitlistOffered: return mail(.offer, "waitlist.offered")
        case .holdExpiring: return mail(.holdReminder, "hold.expiring")
        case .bookingStarting: return mail(.bookingReminder, "booking.starting")
        case .userUpdated:
            guard case .strings(let changed)? = event.details["changed"] else { return [] }
            if changed.contains("password") { return mail(.security, "security.password") }
            if changed.contains("is_active"), event.details["is_active"] == .bool(false) { return mail(.security, "security.deactivated") }
            return []
        default:
            return []
        }
    }

    /// The event types that may call for a message (the relay reads only these).
    public static let eventTypes: Set<EventType> = [.bookingCreated, .bookingCancelled, .waitlistOffered, .userUpdated, .holdExpiring,
                                                    .bookingStarting]
}
