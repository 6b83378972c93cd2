import Foundation
import Testing
@testable import BookingApp
@testable import BookingDomain

@Suite("iCalendar documents")
struct ICalendarTests {
    static let stamp = Date(timeIntervalSince1970: 1_796_551_200)

    @Test("nights as dates, slots in UTC, a cancellation's status and sequence; CRLF line ends")
    func events() {
        let calendar = ICalendar(name: "My bookings", events: [
            .init(uid: "booking-1@example.com", stamp: Self.stamp, sequence: 0, summary: "Cabins × 2",
                  when: .dates(LocalDate("2026-12-10")!, LocalDate("2026-12-13")!), cancelled: false),
            .init(uid: "booking-2@example.com", stamp: Self.stamp, sequence: 1, summary: "Court",
                  when: .instants(1_797_152_400, 1_797_159_600), cancelled: true),
        ])
        let text = calendar.text
        #expect(text.hasPrefix("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n") && text.hasSuffix("END:VCALENDAR\r\n"))
        #expect(!text.replacingOccurrences(of: "\r\n", with: "").contains("\n"), "every line ends in CRLF")
        #expect(text.contains("DTSTART;VALUE=DATE:20261210\r\nDTEND;VALUE=DATE:20261213\r\n"))
        #expect(text.contains("DTSTAMP:20261206T100000Z\r\n"))
        #expect(text.contains("DTSTART:20261213T090000Z\r\nDTEND:20261213T110000Z\r\n"))
        #expect(text.contains("SEQUENCE:1\r\nSUMMARY:Court\r\nDTSTART"))
        #expect(text.components(separatedBy: "STATUS:CANCELLED").count == 2 && text.contains("STATUS:CONFIRMED"))
        #expect(text.components(separatedBy: "BEGIN:VEVENT").count == 3)
    }

    @Test("text is escaped: a name cannot add a property or break a line")
    func escaping() {
        #expect(ICalendar.escape(#"a,b;c\d"#) == #"a\,b\;c\\d"#)
        #expect(ICalendar.escape("one\r\ntwo\nthree\rfour") == #"one\ntwo\nthree\nfour"#)
        #expect(ICalendar.escape("bell\u{7}tab\u{9}") == "belltab")
        let hostile = ICalendar(name: "x", events: [.init(uid: "u", stamp: Self.stamp, sequence: 0,
                                                          summary: "Room\r\nATTENDEE:mailto:evil@example.com",
                                                          when: .dates(LocalDate("2026-12-10")!, LocalDate("2026-12-11")!), cancelled: false)])
        #expect(!hostile.text.contains("\r\nATTENDEE"), "the summary stays one property")
    }

    @Test("lines are folded at 75 octets, never inside a character, and unfold to the original")
    func folding() {
        for line in ["SUMMARY:" + String(repeating: "a", count: 200), "SUMMARY:" + String(repeating: "ü", count: 100),
                     "SUMMARY:" + String(repeating: "🛶", count: 60), "SUMMARY:short"] {
            let folded = ICalendar.fold(line)
            #expect(folded.allSatisfy { $0.utf8.count <= 75 }, "\(folded.map(\.utf8.count))")
            #expect(folded.dropFirst().allSatisfy { $0.hasPrefix(" ") })
            #expect(folded.first! + folded.dropFirst().map { String($0.dropFirst()) }.joined() == line)
        }
        #expect(ICalendar.fold("SUMMARY:" + String(repeating: "a", count: 67)).count == 1, "exactly 75 octets is one line")
        #expect(ICalendar.fold("SUMMARY:" + String(repeating: "a", count: 68)).count == 2)
    }
}
