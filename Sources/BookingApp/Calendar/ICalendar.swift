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
        var out = ""
        out.reserveCapacity(200 + events.count * 320)
        func line(_ content: String) {
            guard content.utf8.count > 75 else {
                out += content
                out += "\r\n"
                return
            }
            for part in Self.fold(content) {
                out += part
                out += "\r\n"
            }
        }
        for header in ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Booking service//Bookings//EN", "CALSCALE:GREGORIAN", "METHOD:PUBLISH"] {
            line(header)
        }
        line("X-WR-CALNAME:" + Self.escape(name))
        for event in events {
            line("BEGIN:VEVENT")
            line("UID:" + Self.escape(event.uid))
            line("DTSTAMP:" + Self.utc(Int64(event.stamp.timeIntervalSince1970.rounded(.down))))
            line("SEQUENCE:\(event.sequence)")
            line("SUMMARY:" + Self.escape(event.summary))
            switch event.when {
            case .dates(let start, let end):
                line("DTSTART;VALUE=DATE:" + Self.basic(start))
                line("DTEND;VALUE=DATE:" + Self.basic(end))
            case .instants(let start, let end):
                line("DTSTART:" + Self.utc(start))
                line("DTEND:" + Self.utc(end))
            }
            line(event.cancelled ? "STATUS:CANCELLED" : "STATUS:CONFIRMED")
            line("TRANSP:OPAQUE")
            line("END:VEVENT")
        }
        line("END:VCALENDAR")
        return out
    }

    /// TEXT as RFC 5545 writes it: backslash, semicolon and comma escaped, line breaks as `\n`, other
    /// control characters dropped (a name cannot break the document's lines or add a property).
    static func escape(_ text: String) -> String {
        // Most text needs nothing: printable ASCII without a backslash, semicolon or comma.
        if text.utf8.allSatisfy({ (0x20..<0x7F).contains($0) && $0 != UInt8(ascii: "\\") && $0 != UInt8(ascii: ";") && $0 != UInt8(ascii: ",") }) {
            return text
        }
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
    /// space; a break never falls inside a character's UTF-8 bytes (RFC 5545 counts octets).
    static func fold(_ line: String) -> [String] {
        guard line.utf8.count > 75 else { return [line] }
        let bytes = Array(line.utf8)
        var lines: [String] = [], start = 0, limit = 75
        while bytes.count - start > limit {
            var end = start + limit
            // Back off to the first byte of a UTF-8 sequence (never a continuation byte, 0b10xxxxxx).
            while end > start, bytes[end] & 0xC0 == 0x80 { end -= 1 }
            lines.append((limit == 75 ? "" : " ") + String(decoding: bytes[start..<end], as: UTF8.self))
            start = end
            limit = 74
        }
        lines.append(" " + String(decoding: bytes[start...], as: UTF8.self))
        return lines
    }

    /// `YYYYMMDD`.
    static func basic(_ date: LocalDate) -> String {
        let number = date.year * 10_000 + date.month * 100 + date.day
        return number < 10_000_000 ? String(repeating: "0", count: 8 - String(number).count) + String(number) : String(number)
    }

    /// `YYYYMMDDTHHMMSSZ`.
    static func utc(_ instant: Int64) -> String {
        let (date, second) = LocalDate.split(instant)
        return basic(date) + "T" + LocalDate.clock(second, separator: "") + "Z"
    }
}

extension ICalendar {
    /// A feed's calendar: one event per booking of a dated resource; a cancelled booking stays, marked
    /// `CANCELLED` with its sequence raised, so calendars that saw it remove it.
    init(_ feed: CalendarFeedService.Feed) {
        name = feed.resourceID.map { id in "Bookings of \(feed.entries.first?.resourceName ?? "resource \(id)")" }
            ?? "Bookings of \(feed.owner.username)"
        events = feed.entries.map { entry in
            let when: When = switch entry.kind {
            case .slot: .instants(entry.from * 60, entry.to * 60)
            case .day, .night, .whole: .dates(LocalDate(dayNumber: entry.from), LocalDate(dayNumber: entry.to))
            }
            return Event(uid: "booking-\(entry.bookingID)@booking-service", stamp: Date(timeIntervalSince1970: TimeInterval(entry.changedAt)),
                         sequence: entry.cancelled ? 1 : 0, summary: "\(entry.resourceName) × \(entry.quantity)", when: when,
                         cancelled: entry.cancelled)
        }
    }
}
