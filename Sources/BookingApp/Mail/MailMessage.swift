import BookingDomain
import Foundation

/// An e-mail as RFC 5322 and MIME write it: a multipart/alternative of a plain-text and an HTML part, both
/// quoted-printable UTF-8, with CRLF line ends. Nothing a user wrote (a name, a resource's name) can add a
/// header or a line: every header value is stripped of control characters and written as RFC 2047
/// encoded words when it is not plain ASCII, and every body is quoted-printable.
struct MailMessage: Sendable, Equatable {
    /// An address and, optionally, a display name.
    struct Mailbox: Sendable, Equatable {
        let name: String?
        let address: String

        /// Nil unless `address` is one an SMTP server takes as is: `local@domain`, printable ASCII without
        /// spaces, angle brackets or a second `@`, at most 254 characters.
        init?(name: String? = nil, address: String) {
            let bytes = Array(address.utf8)
            guard (3...254).contains(bytes.count), bytes.filter({ $0 == UInt8(ascii: "@") }).count == 1,
                  bytes.first != UInt8(ascii: "@"), bytes.last != UInt8(ascii: "@"),
                  bytes.allSatisfy({ (0x21..<0x7F).contains($0) && !"<>()[]\\,;:\"".utf8.contains($0) }) else { return nil }
            self.name = name
            self.address = address
        }

        /// `"Name" <address>`, or `=?UTF-8?B?…?= <address>` for a name that is not plain ASCII.
        var header: String {
            guard let name = name.map(MailMessage.clean), !name.isEmpty else { return "<\(address)>" }
            if name.utf8.allSatisfy({ (0x20..<0x7F).contains($0) && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") }) {
                return "\"\(name)\" <\(address)>"
            }
            return MailMessage.encodedWords(name).joined(separator: " ") + " <\(address)>"
        }
    }

    let from: Mailbox
    let to: Mailbox
    let subject: String
    /// Without its angle brackets: derived from what the message is about, so a retry is recognisable.
    let messageID: String
    let date: Date
    let text: String
    let html: String
    /// More headers (`List-Unsubscribe`): names and values of printable ASCII, as the service writes them.
    var headers: [(name: String, value: String)] = []

    static func == (lhs: MailMessage, rhs: MailMessage) -> Bool {
        lhs.rendered == rhs.rendered
    }

    /// The whole message, headers and body, CRLF line ends.
    var rendered: String {
        let boundary = "=_" + String(messageID.sha256Hex.prefix(32))
        var lines = [
            "From: \(from.header)",
            "To: \(to.header)",
            "Subject: " + Self.encodedWords(Self.clean(subject)).joined(separator: "\r\n "),
            "Date: \(Self.rfc5322(date))",
            "Message-ID: <\(messageID)>",
            "MIME-Version: 1.0",
        ]
        for (name, value) in headers {
            lines.append("\(Self.clean(name)): \(Self.clean(value))")
        }
        lines += [
            "Content-Type: multipart/alternative; boundary=\"\(boundary)\"",
            "",
            "--\(boundary)",
            "Content-Type: text/plain; charset=utf-8",
            "Content-Transfer-Encoding: quoted-printable",
            "",
            Self.quotedPrintable(text),
            "--\(boundary)",
            "Content-Type: text/html; charset=utf-8",
            "Content-Transfer-Encoding: quoted-printable",
            "",
            Self.quotedPrintable(html),
            "--\(boundary)--",
        ]
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    /// Text with every control character (CR and LF included) and line or paragraph separator turned
    /// into a space: what a header may carry of user-written text.
    static func clean(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            let control = scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) || scalar == "\u{2028}" || scalar == "\u{2029}"
            out.append(control ? " " : scalar)
        }
        return String(out)
    }

    /// `text` as it goes in a header: as is when printable ASCII, else RFC 2047 encoded words (UTF-8,
    /// base64), each at most 75 characters and never splitting a character.
    static func encodedWords(_ text: String) -> [String] {
        if text.utf8.allSatisfy({ (0x20..<0x7F).contains($0) }), !text.contains("=?"), text.utf8.count <= 900 { return [text] }
        var words: [String] = [], chunk: [UInt8] = []
        for character in text {
            let bytes = Array(String(character).utf8)
            if chunk.count + bytes.count > 45, !chunk.isEmpty {
                words.append("=?UTF-8?B?" + Data(chunk).base64EncodedString() + "?=")
                chunk = []
            }
            chunk += bytes
        }
        if !chunk.isEmpty { words.append("=?UTF-8?B?" + Data(chunk).base64EncodedString() + "?=") }
        return words.isEmpty ? [""] : words
    }

    /// A body as quoted-printable (RFC 2045): line breaks as CRLF, lines at most 76 characters (soft breaks
    /// `=` at the end), `=`, non-ASCII bytes and a space or tab before a line end encoded.
    static func quotedPrintable(_ text: String) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = [], column = 0
        let lines = text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n").split(
            separator: "\n", omittingEmptySubsequences: false)
        for (number, line) in lines.enumerated() {
            let bytes = Array(line.utf8)
            for (index, byte) in bytes.enumerated() {
                let last = index == bytes.count - 1
                let literal = (byte >= 33 && byte <= 126 && byte != UInt8(ascii: "=")) || ((byte == 32 || byte == 9) && !last)
                let piece: [UInt8] = literal ? [byte] : [UInt8(ascii: "="), hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]]
                if column + piece.count > 75 {
                    out += Array("=\r\n".utf8)
                    column = 0
                }
                out += piece
                column += piece.count
            }
            if number < lines.count - 1 {
                out += Array("\r\n".utf8)
                column = 0
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// `Sun, 06 Dec 2026 15:00:00 +0000`.
    static func rfc5322(_ instant: Date) -> String {
        let (date, second) = LocalDate.split(Int64(instant.timeIntervalSince1970.rounded(.down)))
        let weekdays = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        return "\(weekdays[date.weekday - 1]), \(date.day < 10 ? "0" : "")\(date.day) \(months[date.month - 1]) \(date.year) "
            + "\(LocalDate.clock(second)) +0000"
    }
}
