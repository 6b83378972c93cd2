import BookingDomain
import Foundation
import PropertyBased
import Testing

/// An event's details are written as JSON by hand (``EventValue/json(_:)``); they must read back as the
/// values their `Codable` form (JSONEncoder's) reads back as, whatever their text holds.
@Suite("Event details as JSON")
struct EventDetailsJSONTests {
    /// Texts with what JSON must escape (quotes, backslashes, every control character) and what it must not
    /// touch (slashes, DEL, accents, emoji, line and paragraph separators, JSON's own punctuation).
    static let pieces = ["a", "start", "Court 1", "\"", "\\", "/", "\u{7F}", "é", "日本", "🎾", "\u{2028}", "\u{2029}", " ", "{}", ":",
                         ",", "[", "true", "12", "null"] + (0..<0x20).map { String(UnicodeScalar(UInt8($0))) }

    /// Details built from `ops`, one integer per member: its key, its kind of value and the value, with
    /// lists of texts and of objects (each object from the next few integers).
    static func details(_ ops: inout ArraySlice<Int>, depth: Int = 0) -> [String: EventValue] {
        var object: [String: EventValue] = [:]
        let members = ops.popFirst().map { $0 % 5 } ?? 0
        for _ in 0..<members {
            guard let op = ops.popFirst() else { break }
            let key = text(op), choice = (op / 7) % 8
            object[key] = switch choice {
            case 0: .int(op % 2 == 0 ? op : -op * 1_000_003)
            case 1: .string(text(op / 3))
            case 2: .bool(op % 2 == 0)
            case 3: .date(Date(timeIntervalSince1970: Double(op) * 86_400.125))
            case 4: .strings((0..<(op % 4)).map { text(op / ($0 + 2)) })
            case 5 where depth < 2: .objects((0..<(op % 3)).map { _ in details(&ops, depth: depth + 1) })
            case 6: .int(op % 2 == 0 ? Int.max : Int.min)
            default: .null
            }
        }
        return object
    }

    static func text(_ seed: Int) -> String {
        (0..<(seed % 4)).map { pieces[(seed / (($0 + 1) * 3)) % pieces.count] }.joined()
    }

    static func readBack(_ data: Data) throws -> [String: EventValue] {
        try JSONDecoder().decode([String: EventValue].self, from: data)
    }

    @Test("details written by hand read back as JSONEncoder's form of them does")
    func roundTrip() async {
        await propertyCheck(count: 500, input: Gen.int(in: 0...99_999).array(of: 1...30)) { ops in
            var slice = ArraySlice(ops)
            let details = Self.details(&slice)
            let written = EventValue.json(details)
            let encoder = JSONEncoder()
            encoder.outputFormatting = .sortedKeys
            let mine = try? Self.readBack(Data(written.utf8)), foundations = try? Self.readBack(encoder.encode(details))
            #expect(mine != nil && mine == foundations, "\(written)")
        }
    }

    @Test("keys in order, an empty object, nested lists and escapes, written as JSON writes them")
    func shapes() throws {
        #expect(EventValue.json([:]) == "{}")
        #expect(EventValue.json(["b": .int(1), "a": .strings(["x", "\"\n\u{1}"]), "c": .objects([[:], ["d": .null]])])
            == #"{"a":["x","\"\n\u0001"],"b":1,"c":[{},{"d":null}]}"#)
    }
}
