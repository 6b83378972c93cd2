import BookingDomain
import Foundation

/// An iCalendar document (RFC 5545) of bookings, as calendar apps subscribe to it: one `VEVENT` per booking
/// with a stable `UID`, days and nights as `VALUE=DATE`, slots in UTC; text escaped, lines folded at 75
/// octets (never inside a UTF-8 sequence), CRLF line ends.
struct ICalendar {
    /// When an event happens: whole local dates (days, nights: `end` exclusive), or instants (slots).
    enum When: Equatable {
        case dates(LocalDate, LocalDate)
        case instants(Int64, Int64)
    }

    struct Event: Equatable {
        /// Stable across every version of the feed (`booking-42@host`).
        let uid: String
        /// When this version of the event was written.
        let stamp: Date
        /// Grows when the booking changes (a cancellation).
        let sequence: Int
        let summary: String
        let when: When
        let cancelled: Bool
    }

    let name: String
    let events: [Event]

    /// The document, CRLF-terminated lines, each at most 75 octets.
    var text: String {
        var lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Booking service//Bookings//EN", "CALSCALE:GREGORIAN",
                     "METHOD:PUBLISH", "X-WR-CALNAME:" + Self.escape(name)]
        for event in events {
            lines += ["BEGIN:VEVENT", "UID:" + Self.escape(event.uid), "DTSTAMP:" + Self.utc(Int64(event.stamp.timeIntervalSince1970.rounded(.down))),
                      "SEQUENCE:\(event.sequence)", "SUMMARY:" + Self.escape(event.summary)]
            switch event.when {
            case .dates(let start, let end):
                lines += ["DTSTART;VALUE=DATE:" + Self.basic(start), "DTEND;VALUE=DATE:" + Self.basic(end)]
            case .instants(let start, let end):
                lines += ["DTSTART:" + Self.utc(start), "DTEND:" + Self.utc(end)]
            }
            lines += ["STATUS:" + (event.cancelled ? "CANCELLED" : "CONFIRMED"), "TRANSP:OPAQUE", "END:VEVENT"]
        }
        lines.append("END:VCALENDAR")
        return lines.flatMap(Self.fold).map { $0 + "\r\n" }.joined()
    }

    /// TEXT as RFC 5545 writes it: backslash, semicolon and comma escaped, line breaks as `\n`, other
    /// control characters dropped (a name cannot break the document's lines or add a property).
    static func escape(_ text: String) -> String {
        var out = ""
        var previousWasCR = false
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case ";": out += "\\;"
            case ",": out += "\\,"
            case "\r": out += "\\n"
            case "\n": if !previousWasCR { out += "\\n" }
            case "\u{2028}", "\u{2029}", "\u{85}": out += "\\n"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F { break }
                out.unicodeScalars.append(scalar)
            }
            previousWasCR = scalar == "\r"
        }
        return out
    }

    /// A content line split into lines of at most 75 octets: the first as is, each continuation after one
    /// space; a break never falls inside a character's UTF-8 bytes.
    static func fold(_ line: String) -> [String] {
        var lines: [String] = [], current = "", octets = 0, limit = 75
        for character in line {
            let size = character.utf8.count
            if octets + size > limit {
                lines.append(current)
                current = " "
                octets = 1
                limit = 75
            }
            current.append(character)
            octets += size
        }
        lines.append(current)
        return lines
    }

    /// `YYYYMMDD`.
    static func basic(_ date: LocalDate) -> String {
        "\(date)".replacingOccurrences(of: "-", with: "")
    }

    /// `YYYYMMDDTHHMMSSZ`.
    static func utc(_ instant: Int64) -> String {
        let day = instant >= 0 ? instant / 86_400 : (instant - 86_399) / 86_400, seconds = Int(instant - day * 86_400)
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return basic(LocalDate(dayNumber: day)) + "T" + two(seconds / 3600) + two(seconds / 60 % 60) + two(seconds % 60) + "Z"
    }
}

extension ICalendar {
    /// A feed's calendar: one event per booking of a dated resource; a cancelled booking stays, marked
    /// `CANCELLED` with its sequence raised, so calendars that saw it remove it.
    init(_ feed: CalendarFeedService.Feed) {
        name = feed.resourceID.map { id in "Bookings of \(feed.bookings.first?.resourceName ?? "resource \(id)")" }
            ?? "Bookings of \(feed.owner.username)"
        events = feed.bookings.compactMap { booking in
            guard let range = booking.range else { return nil }
            let when: When = switch range.kind {
            case .slot: .instants(range.from * 60, range.to * 60)
            case .day, .night, .whole: .dates(LocalDate(dayNumber: range.from), LocalDate(dayNumber: range.to))
            }
            let cancelled = booking.status == .cancelled
            return Event(uid: "booking-\(booking.id)@booking-service", stamp: booking.cancelledAt ?? booking.bookingDate, sequence: cancelled ? 1 : 0,
                         summary: "\(booking.resourceName) × \(booking.purchaseQuantity)", when: when, cancelled: cancelled)
        }
    }
}
