import BookingDomain
import Foundation
import Tracing

/// What each kind of message says, as plain text and as HTML in the pages' look, with links to the
/// pages (`PUBLIC_URL`). Everything taken from the message's facts is escaped in the HTML.
enum MailTemplates {
    struct Rendered: Equatable {
        let subject: String
        let text: String
        let html: String
    }

    static func render(_ mail: QueuedMail, publicURL: String) -> Rendered {
        let resource = mail.facts["resource_name"]?.string ?? "a resource"
        let quantity = mail.facts["quantity"]?.int.map { "\($0) × " } ?? ""
        let when = when(mail.facts)
        let until = time(mail.facts["expires_at"], in: mail.facts["time_zone"])
        let greeting = "Hello \(mail.recipientName),"
        let (subject, lines, link): (String, [String], (label: String, path: String)) = switch mail.template {
        case "booking.created":
            ("Booked: \(resource)", ["Your booking of \(quantity)\(resource)\(when) is confirmed."], ("Your bookings", "/my/bookings"))
        case "booking.cancelled":
            ("Cancelled: \(resource)", ["Your booking of \(quantity)\(resource)\(when) was cancelled\(mail.facts["actor_is_owner"] == .bool(true) ? "" : " by an administrator"); its units are free again."],
             ("Your bookings", "/my/bookings"))
        case "waitlist.offered":
            ("A place came free: \(resource)", ["\(quantity)\(resource)\(when) is held for you until \(until)."
                                                + " Confirm it before then, or decline it so it passes to the next in line."],
             ("Confirm or decline", "/my/holds"))
        case "hold.expiring":
            ("Your hold expires at \(until): \(resource)",
             ["\(quantity)\(resource)\(when) is held for you until \(until). Confirm it before then, or it goes back."],
             ("Confirm your hold", "/my/holds"))
        case "booking.starting":
            ("Coming up: \(resource)\(when)", ["Your booking of \(quantity)\(resource)\(when) starts soon."], ("Your bookings", "/my/bookings"))
        case "security.password":
            ("Your password was changed", ["The password of your account was changed, and every other session of it ended.",
                                           "If this was not you, ask an administrator to deactivate the account."], ("Log in", "/account/login"))
        case "security.deactivated":
            ("Your account was deactivated", ["An administrator deactivated your account: you can no longer log in."], ("The site", "/"))
        default:
            ("A change to your bookings", ["Something changed: see your bookings."], ("Your bookings", "/my/bookings"))
        }
        let url = publicURL + link.path
        // Every kind but security notices can be stopped from the message itself.
        let stop = mail.kind == .security ? nil : unsubscribeURL(mail, publicURL: publicURL)
        let footer = stop.map { ["", "Stop these e-mails: \($0)"] } ?? []
        let text = ([greeting, ""] + lines + ["", "\(link.label): \(url)", "", "— Bookings"] + footer).joined(separator: "\n")
        let html = """
            <!doctype html><html><body style="font-family: system-ui, sans-serif; color: #1d2430; max-width: 36em">
            <p>\(escape(greeting))</p>
            \(lines.map { "<p>\(escape($0))</p>" }.joined(separator: "\n"))
            <p><a href="\(escape(url))" style="color: #1f5fbf">\(escape(link.label))</a></p>
            <p style="color: #5b6573">— Bookings</p>
            \(stop.map { "<p style=\"color: #5b6573; font-size: 0.9em\"><a href=\"\(escape($0))\" style=\"color: #5b6573\">Stop these e-mails</a></p>" } ?? "")
            </body></html>
            """
        return Rendered(subject: subject, text: text, html: html)
    }

    /// The one-click link that turns this message's kind off for its recipient (RFC 8058).
    static func unsubscribeURL(_ mail: QueuedMail, publicURL: String) -> String {
        "\(publicURL)/unsubscribe/\(mail.unsubscribeToken)"
    }

    /// " (2026-12-10 → 2026-12-13)" for a dated booking; "" for a pool's.
    static func when(_ facts: [String: EventValue]) -> String {
        guard let start = facts["start"]?.string, let end = facts["end"]?.string else { return "" }
        return " (\(TimeChooser.when(start: start, end: end)))"
    }

    /// An ISO 8601 instant (`expires_at`) as the wall time of the resource's zone, `14:30 (Europe/Berlin)`,
    /// or as `14:30 UTC` for a pool (which has no zone).
    static func time(_ value: EventValue?, in zone: EventValue?) -> String {
        guard let date = value?.instant else { return "soon" }
        let instant = Int64(date.timeIntervalSince1970.rounded(.down))
        let named = zone?.string.flatMap { $0 == "UTC" ? nil : Zone(identifier: $0) }
        let minutes = named.map { $0.wallTime(at: instant).minutes } ?? LocalDate.split(instant).second / 60
        return LocalDate.clock(minutes * 60).prefix(5) + (named.map { " (\($0.identifier))" } ?? " UTC")
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}

/// Sends the outbox's messages through the configured SMTP server.
struct SMTPMailSender: MailSender {
    let client: SMTPClient
    let from: MailMessage.Mailbox
    let publicURL: String
    let clock: any WallClock

    /// Makes each attempt a client span, carried in the message's `traceparent` header; nil: none.
    var tracer: (any Tracer)? = nil

    var attemptLimit: Duration { client.attemptLimit }

    func send(_ mail: QueuedMail) async -> MailOutcome {
        guard let to = MailMessage.Mailbox(name: mail.recipientName, address: mail.recipientEmail) else {
            return .failed(permanent: true, reason: "the address \(mail.recipientEmail) cannot be sent to")
        }
        let content = MailTemplates.render(mail, publicURL: publicURL)
        var message = MailMessage(from: from, to: to, subject: content.subject, messageID: mail.messageID, date: mail.facts["occurred_at"]?.instant ?? clock.now(),
                                  text: content.text, html: content.html)
        if mail.kind != .security {
            message.headers = [("List-Unsubscribe", "<\(MailTemplates.unsubscribeURL(mail, publicURL: publicURL))>"),
                               ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")]
        }
        let attributes: SpanAttributes = ["booking.event.id": .int64(Int64(mail.eventID)), "mail.template": .string(mail.template),
                                          "mail.attempt": .int64(Int64(mail.attempts + 1)), "server.address": .string(client.server.host)]
        return await DeliveryTrace.attempt(tracer, "smtp send", attributes: attributes, { [message] trace in
            var message = message
            if let trace, let tracer { tracer.inject(trace, into: &message.headers, using: MailHeaderInjector()) }
            do throws(SMTPFailure) {
                try await client.send(message.rendered, from: from.address, to: to.address)
                return .sent
            } catch {
                return .failed(permanent: error.isPermanent, reason: error.description)
            }
        }, failure: { outcome in
            if case .failed(_, let reason) = outcome { return reason }
            return nil
        })
    }
}
