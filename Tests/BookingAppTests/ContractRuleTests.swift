import Foundation
import Testing
import Vapor
@testable import BookingApp
@testable import BookingDomain

/// The document states the server's rules, not approximations of them: each pattern of the OpenAPI
/// document accepts exactly the values the server's validation accepts, on inputs chosen to sit on every
/// edge of those rules (trimming, digits, control characters, lengths in code points).
@Suite("The document's rules are the server's rules")
struct ContractRuleTests {
    static func schema(_ name: String) -> [String: Any] {
        let url = DocumentationTests.root.appendingPathComponent("Sources/BookingApp/openapi.json")
        let document = (try? JSONSerialization.jsonObject(with: Data(contentsOf: url))) as? [String: Any]
        let schemas = (document?["components"] as? [String: Any])?["schemas"] as? [String: Any]
        return schemas?[name] as? [String: Any] ?? [:]
    }

    static func property(_ schema: String, _ field: String) -> [String: Any] {
        (Self.schema(schema)["properties"] as? [String: Any])?[field] as? [String: Any] ?? [:]
    }

    /// Whether `value` satisfies a string schema's pattern and length bounds as JSON Schema reads them: the
    /// pattern must match the whole string (ECMA-262's `$` does not match before a final newline, ICU's
    /// does, so the match must cover the string), lengths are counted in code points.
    static func satisfies(_ schema: [String: Any], _ value: String) throws -> Bool {
        let length = value.unicodeScalars.count
        if let maximum = schema["maxLength"] as? Int, length > maximum { return false }
        if let minimum = schema["minLength"] as? Int, length < minimum { return false }
        guard let pattern = schema["pattern"] as? String else { return true }
        let regex = try NSRegularExpression(pattern: pattern)
        let whole = NSRange(value.startIndex..., in: value)
        return regex.firstMatch(in: value, range: whole)?.range == whole
    }

    static let edges: [String] = {
        var values = ["Room", " Room ", "\u{00A0}Room\u{3000}", "R", "a b", "", " ", "\u{200B}", "\u{200B}Room", "Room\u{2028}",
                      "123", " 123 ", "12 3", "1a", "0", "Room\u{0}", "Ro\u{7F}om", "Ro\u{85}om", "Room\n", "\tRoom", "Ro\u{9F}om",
                      "😀", "e\u{301}", "Zürich ✓", "\u{3000}\u{3000}", "a\u{2003}b", "Ro\u{202E}om", "Ro\u{AD}om", "\u{FEFF}Room",
                      "Room\u{FEFF}", "Ro\u{200D}om", "Ro\u{200C}om", "Ro\u{2028}om", "Room\u{E0041}", "Ro\u{200B}om", "\u{180E}Room",
                      "\u{200D}", "\u{2066}Room\u{2069}"]
        values += [String(repeating: "x", count: 200), String(repeating: "x", count: 201),
                   "  " + String(repeating: "x", count: 200) + "  ", String(repeating: "😀", count: 200),
                   String(repeating: "😀", count: 201), String(repeating: "e\u{301}", count: 100),
                   String(repeating: "e\u{301}", count: 101), "1" + String(repeating: " ", count: 300) + "a"]
        return values
    }()

    @Test("a resource name: 1 to 200 code points after trimming spaces, no control characters, not only digits")
    func resourceName() throws {
        for schemaName in ["ResourceCreate", "ResourceChanges"] {
            let schema = Self.property(schemaName, "name")
            #expect(schema["pattern"] != nil)
            for value in Self.edges {
                let server = (try? Validate.resourceName(value)) != nil
                #expect(try Self.satisfies(schema, value) == server, "\(schemaName).name \(value.debugDescription): the server says \(server)")
            }
        }
    }

    @Test("a resource name's hidden characters: every default-ignorable code point, format character and separator of Unicode, the blank fillers, and their neighbours")
    func resourceNameHiddenCharacters() throws {
        let schema = Self.property("ResourceCreate", "name")
        let hidden: Set<Unicode.GeneralCategory> = [.format, .lineSeparator, .paragraphSeparator]
        func isHidden(_ value: UInt32) -> Bool {
            guard let scalar = Unicode.Scalar(value) else { return false }
            return hidden.contains(scalar.properties.generalCategory) || scalar.properties.isDefaultIgnorableCodePoint
                || [0x115F, 0x1160, 0x3164, 0xFFA0, 0x2800].contains(value)
        }
        // Each hidden character, and the characters on either side of it (the edges of each range).
        let scalars: [Unicode.Scalar] = (UInt32(1)...0x10FFFE).filter { isHidden($0 - 1) || isHidden($0) || isHidden($0 + 1) }
            .compactMap(Unicode.Scalar.init)
        #expect(scalars.count > 4000)
        for scalar in scalars {
            // Inside a name, and at its end (where a trailing invisible character pads a look-alike).
            for value in ["a\(scalar)b", "Rsn X\(scalar)"] {
                let accepted = try? Validate.resourceName(value)
                let server = accepted != nil
                #expect(try Self.satisfies(schema, value) == server, "U+\(String(scalar.value, radix: 16, uppercase: true)): the server says \(server)")
                // The whole class is kept out, not a list of examples: refused inside a name, and at its end
                // either refused or trimmed away with the surrounding spaces.
                if let accepted {
                    #expect(!accepted.unicodeScalars.contains { isHidden($0.value) }, "U+\(String(scalar.value, radix: 16)) kept in \(value.debugDescription)")
                }
            }
        }
    }

    @Test("a description: at most 10,000 code points, line breaks and tabs but no other control characters")
    func description() throws {
        let schema = Self.property("ResourceCreate", "description")
        for value in Self.edges + ["a\nb", "a\r\nb", "a\tb", "a\u{B}b", "a\u{C}b", String(repeating: "d", count: 10_000),
                                   String(repeating: "d", count: 10_001), String(repeating: "😀", count: 10_000)] {
            let server = (try? Validate.description(value)) != nil
            #expect(try Self.satisfies(schema, value) == server, "description \(value.prefix(40).debugDescription): the server says \(server)")
        }
    }

    @Test("an e-mail address: one @, a local part of at most 64 characters, a dotted domain, at most 254 characters")
    func email() throws {
        let schema = Self.property("SignUp", "email_address")
        let label63 = String(repeating: "d", count: 63)
        let values = ["a@b.co", "a.b@c.d", "first+tag@sub.example.org", ".a@b.c", "a.@b.c", "a..b@c.d", "a@b", "a@b.", "a@.b.c",
                      "a@-b.c", "a@b-.c", "a@b-c.d", "a b@c.d", "a,b@c.d", "<a>@b.c", "a@b@c.d", "@b.c", "a@", "ä@b.co",
                      "a@bä.co", "a@b_c.de", "!#$%&'*+/=?^_`{|}~-@x.io", "a\"b@c.d", "a\u{7F}@b.co", "a\u{0}@b.co",
                      String(repeating: "l", count: 64) + "@b.co", String(repeating: "l", count: 65) + "@b.co",
                      "a@\(label63).com", "a@\(label63)d.com", "a@" + [label63, label63, label63, String(repeating: "d", count: 59)].joined(separator: "."),
                      "a@" + [label63, label63, label63, String(repeating: "d", count: 60)].joined(separator: "."), "a@1.2", "A@B.CO", ""]
        for value in values {
            let server = (try? Validate.email(value)) != nil
            #expect(try Self.satisfies(schema, value) == server, "email \(value.debugDescription): the server says \(server)")
        }
    }

    @Test("a booking's resource given as a string: anything but blank or control characters once surrounding whitespace is trimmed")
    func bookingReference() throws {
        let oneOf = try #require(Self.property("BookingCreate", "resource")["oneOf"] as? [[String: Any]])
        let schema = try #require(oneOf.first { $0["type"] as? String == "string" })
        for value in Self.edges + ["\n12\n", "\u{85}Room", "\u{B}", "Ro\nom"] {
            let body = try JSONSerialization.data(withJSONObject: ["resource": value])
            let server: Bool
            switch try JSONDecoder().decode(BookingRequest.self, from: body).resource?.reference {
            case .name(let name): server = (try? Validate.required(name, field: "resource")) != nil
            case .id: server = true
            case nil: server = false
            }
            #expect(try Self.satisfies(schema, value) == server, "resource \(value.debugDescription): the server says \(server)")
        }
    }

    @Test("search and login fields: no control characters; passwords at least 8 (bytes, at least as many code points)")
    func otherFields() throws {
        let noControl = Self.property("Login", "username")
        for value in Self.edges {
            let server = (try? Validate.required(value, field: "username")) != nil
            #expect(try Self.satisfies(noControl, value) == server, "username \(value.debugDescription)")
        }
        // The byte rule cannot be stated; what is stated must never accept what the server refuses.
        let password = Self.property("SignUp", "password")
        for value in Self.edges + ["short", "seven77", "eight888", "ééé"] where try Self.satisfies(password, value) {
            #expect(value.utf8.count >= 8 && (try? Validate.required(value, field: "password")) != nil, "password \(value.debugDescription)")
        }
    }
}
