import BookingDomain
import Foundation
import Testing
import Vapor
@testable import BookingApp

/// A booking's answer is written by hand (`JSONObjectWriter`); it must be the object its `Encodable` form
/// gives, whatever the resource's name holds.
@Suite("JSON written by hand")
struct JSONWriterTests {
    /// Names with what JSON must escape (quotes, backslashes, every control character) and what it must not
    /// touch (slashes, DEL, accents, emoji, line and paragraph separators).
    static let pieces = ["a", "Court 1", "\"", "\\", "/", "\u{7F}", "é", "日本", "🎾", "\u{2028}", "\u{2029}", " ", "{}", ":", ","]
        + (0..<0x20).map { String(UnicodeScalar(UInt8($0))) }

    static func booking(using random: inout SeededGenerator) -> Booking {
        let name = (0..<Int.random(in: 0...12, using: &random)).map { _ in pieces.randomElement(using: &random)! }.joined()
        let dated = Bool.random(using: &random)
        return Booking(
            id: Int.random(in: 1...Int.max, using: &random), resourceID: Int.random(in: 1...1_000_000, using: &random),
            resourceName: name, userID: Int.random(in: 1...1_000_000, using: &random),
            purchaseQuantity: Int.random(in: 1...1_000, using: &random),
            bookingDate: Date(timeIntervalSince1970: Double(Int.random(in: 0...4_000_000_000_000, using: &random)) / 1000),
            status: Booking.Status.allCases.randomElement(using: &random)!,
            holdID: Bool.random(using: &random) ? Int.random(in: 1...1_000_000, using: &random) : nil,
            range: dated ? TakenRange(kind: .day, from: 20_000, to: 20_001, start: "2026-12-0\(Int.random(in: 1...9, using: &random))",
                                      end: "2026-12-10") : nil,
            seriesID: Bool.random(using: &random) ? Int.random(in: 1...1_000, using: &random) : nil)
    }

    static func foundation(_ answer: BookingResponse, escapingSlashes: Bool = true) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = escapingSlashes ? [.sortedKeys] : [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(answer)
    }

    static func written(_ answer: BookingResponse, status: HTTPStatus = .ok) throws -> (Response, Data) {
        let response = answer.response(status: status)
        return (response, Data(try #require(response.body.buffer).readableBytesView))
    }

    @Test("a booking's answer is the object Foundation encodes from it, for 3,000 generated bookings")
    func sameObject() throws {
        var random = SeededGenerator(seed: 27)
        for _ in 0..<3_000 {
            let answer = BookingResponse(Self.booking(using: &random))
            let (_, bytes) = try Self.written(answer)
            let ours = try #require(try JSONSerialization.jsonObject(with: bytes) as? NSDictionary, "\(String(decoding: bytes, as: UTF8.self))")
            let theirs = try #require(try JSONSerialization.jsonObject(with: try Self.foundation(answer)) as? NSDictionary)
            #expect(ours == theirs, "\(String(decoding: bytes, as: UTF8.self))")
            #expect(ours.count == 11, "every key, null when absent")
            #expect(try JSONDecoder().decode(BookingResponse.self, from: bytes).resourceName == answer.resourceName)
        }
    }

    @Test("where nothing needs escaping the bytes are Foundation's, keys sorted; the answer is JSON with its status")
    func sameBytes() throws {
        var random = SeededGenerator(seed: 5)
        for name in ["Court 1", "", "Salle des fêtes / Saal", "🎾 court"] {
            let template = Self.booking(using: &random)
            let booking = Booking(id: template.id, resourceID: template.resourceID, resourceName: name, userID: template.userID,
                                  purchaseQuantity: template.purchaseQuantity, bookingDate: template.bookingDate, status: template.status,
                                  holdID: template.holdID, range: template.range, seriesID: template.seriesID)
            let (response, bytes) = try Self.written(BookingResponse(booking), status: .created)
            #expect(String(decoding: bytes, as: UTF8.self)
                    == String(decoding: try Self.foundation(BookingResponse(booking), escapingSlashes: false), as: UTF8.self))
            #expect(response.status == .created)
            #expect(response.headers.contentType == .json)
        }
    }
}
