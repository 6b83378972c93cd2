import Foundation
import Testing
@testable import BookingApp

/// E-mail as the service will write it (groundwork for notifications): nothing a user wrote can add a
/// header or a line, non-ASCII text is encoded, bodies are quoted-printable with short CRLF lines.
@Suite("Mail messages")
struct MailMessageTests {
    static func message(name: String = "Ada", subject: String = "Booked: Court") throws -> MailMessage {
        MailMessage(from: try #require(MailMessage.Mailbox(name: "Bookings", address: "bookings@example.com")),
                    to: try #require(MailMessage.Mailbox(name: name, address: "ada@example.com")),
                    subject: subject, messageID: "evt-42.booking-created@example.com", date: Date(timeIntervalSince1970: 1_796_551_200),
                    text: "Court × 1, 2026-12-10 09:00–10:00.\nSee you.", html: "<p>Court &times; 1</p>")
    }

    /// The headers of a rendered message, up to the first empty line, unfolded.
    static func headers(_ rendered: String) -> [String] {
        let head = rendered.components(separatedBy: "\r\n\r\n")[0]
        return head.replacingOccurrences(of: "\r\n ", with: " ").components(separatedBy: "\r\n")
    }

    @Test("a name or subject with CR, LF and a header after them stays one header")
    func noInjection() throws {
        let rendered = try Self.message(name: "Eve\r\nBcc: x@y.example", subject: "Hi\r\nBcc: x@y.example\nX-Evil: 1").rendered
        let names = Self.headers(rendered).map { String($0.prefix { $0 != ":" }) }
        #expect(!names.contains("Bcc") && !names.contains("X-Evil"), "\(names)")
        #expect(names.filter { $0 == "To" }.count == 1 && names.filter { $0 == "Subject" }.count == 1)
        #expect(!rendered.replacingOccurrences(of: "\r\n", with: "").contains("\n") && !rendered.replacingOccurrences(of: "\r\n", with: "").contains("\r"))
    }

    @Test("non-ASCII names and subjects are RFC 2047 encoded words that decode back; ASCII stays as written")
    func encodedWords() throws {
        let rendered = try Self.message(name: "Zoë Ünal", subject: "Gebucht: Ferienhaus „Seeblick“ für 3 Nächte").rendered
        let headers = Self.headers(rendered)
        let to = try #require(headers.first { $0.hasPrefix("To: ") })
        #expect(to.hasPrefix("To: =?UTF-8?B?") && to.hasSuffix(" <ada@example.com>"))
        let subject = try #require(headers.first { $0.hasPrefix("Subject: ") })
        let decoded = subject.dropFirst("Subject: ".count).split(separator: " ").map { word -> String in
            let base64 = word.dropFirst("=?UTF-8?B?".count).dropLast(2)
            return String(decoding: Data(base64Encoded: String(base64)) ?? Data(), as: UTF8.self)
        }.joined()
        #expect(decoded == "Gebucht: Ferienhaus „Seeblick“ für 3 Nächte")
        #expect(rendered.components(separatedBy: "\r\n").allSatisfy { $0.utf8.count <= 998 })
        #expect(try Self.message().rendered.contains("\r\nTo: \"Ada\" <ada@example.com>\r\n"))
    }

    @Test("bodies are quoted-printable: lines of at most 76, = and non-ASCII encoded, decoding gives the text back")
    func quotedPrintable() {
        let text = String(repeating: "Sehr geehrte Damen und Herren, = ist gleich. ", count: 5) + "\nEnde \nÜ"
        let encoded = MailMessage.quotedPrintable(text)
        #expect(encoded.components(separatedBy: "\r\n").allSatisfy { $0.utf8.count <= 76 })
        #expect(encoded.utf8.allSatisfy { $0 < 0x80 })
        // Decode: soft breaks away, =XX back to bytes, CRLF to LF.
        var bytes: [UInt8] = [], input = Array(encoded.replacingOccurrences(of: "=\r\n", with: "").replacingOccurrences(of: "\r\n", with: "\n").utf8)
        var index = 0
        while index < input.count {
            if input[index] == UInt8(ascii: "="), index + 2 < input.count, let value = UInt8(String(decoding: input[index + 1...index + 2], as: UTF8.self), radix: 16) {
                bytes.append(value)
                index += 3
            } else {
                bytes.append(input[index])
                index += 1
            }
        }
        input = bytes
        #expect(String(decoding: input, as: UTF8.self) == text)
        #expect(encoded.contains("Ende=20\r\n"), "a space before a line end is encoded")
    }

    @Test("an address an SMTP server would not take as is, is refused")
    func addresses() {
        #expect(MailMessage.Mailbox(address: "ada@example.com") != nil)
        for bad in ["ada", "@example.com", "ada@", "a b@example.com", "ada@example.com\r\nBcc: x@y", "<ada@example.com>", "a@b@c", "zoë@example.com"] {
            #expect(MailMessage.Mailbox(address: bad) == nil, "\(bad)")
        }
        #expect(MailMessage.rfc5322(Date(timeIntervalSince1970: 1_796_551_200)) == "Sun, 06 Dec 2026 10:00:00 +0000")
    }
}
