import BookingDomain
import Foundation
import Vapor

extension Request {
    /// A query parameter's text, nil when absent. Vapor decodes the whole query string on every ask, a
    /// tenth of a listing's CPU when it asked four times for parameters that were not there; a query
    /// string that cannot hold `name` (none at all, or one that neither spells it nor has a percent-escape
    /// that could) answers nil without decoding, and a plain one (`limit=100&offset=200`: no escapes, no
    /// `+`, no brackets) that names it once is read directly. Anything else is Vapor's to decode.
    func queryText(_ name: String) -> String? {
        guard let raw = url.query, raw.contains(name) || raw.contains("%") else { return nil }
        if let plain = Self.plainQueryValue(name, in: raw) {
            return plain
        }
        return query[String.self, at: name]
    }

    /// `name`'s value in a query string whose pairs need no decoding and name it exactly once with a `=`;
    /// nil when the string is not that plain (the caller then asks Vapor, which knows every other case).
    static func plainQueryValue(_ name: String, in raw: String) -> String? {
        guard !raw.utf8.contains(where: { $0 == UInt8(ascii: "%") || $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "[")
            || $0 == UInt8(ascii: "]") || $0 == UInt8(ascii: ";") }) else { return nil }
        var found: Substring?
        for pair in raw.split(separator: "&") {
            guard let equals = pair.firstIndex(of: "=") else {
                if pair == name { return nil }
                continue
            }
            guard pair[..<equals] == name else { continue }
            guard found == nil else { return nil }
            found = pair[pair.index(after: equals)...]
        }
        return found.map(String.init)
    }

    /// An integer query parameter: nil when absent, a 400 naming it when it is not an integer.
    func integerQuery(_ name: String) throws -> Int? {
        guard let text = queryText(name) else { return nil }
        guard let value = Int(text) else {
            throw AppError.invalidField(field: name, reason: "\(name) must be an integer")
        }
        return value
    }

    /// One decoder for every body (it keeps no state between decodes), not one made per request.
    private static let bodyDecoder = JSONDecoder()

    /// Decodes the body as JSON whatever its declared content type (`curl -d` sends form encoding by
    /// default), turning every decoding failure into a 400 that names the offending field.
    func decodeJSON<Body: Decodable>(_ type: Body.Type = Body.self) throws -> Body {
        guard let buffer = body.data, buffer.readableBytes > 0 else {
            throw AppError.malformedBody(reason: "The request body must be a JSON object.")
        }
        do {
            return try Self.bodyDecoder.decode(Body.self, from: buffer)
        } catch let error as DecodingError {
            throw AppError(decodingError: error)
        }
    }
}

extension AppError {
    init(decodingError error: DecodingError) {
        func field(_ path: [any CodingKey]) -> String {
            path.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case .typeMismatch(_, let context) where !context.codingPath.isEmpty,
             .valueNotFound(_, let context) where !context.codingPath.isEmpty:
            let name = field(context.codingPath)
            self = .invalidField(field: name, reason: "\(name) has the wrong type or is out of range")
        case .dataCorrupted(let context) where !context.codingPath.isEmpty:
            let name = field(context.codingPath)
            self = .invalidField(field: name, reason: "\(name) has the wrong type or is out of range")
        case .keyNotFound(let key, let context):
            let name = field(context.codingPath + [key])
            self = .invalidField(field: name, reason: "\(name) is required")
        default:
            self = .malformedBody(reason: "The request body is not a valid JSON object.")
        }
    }
}

/// Dates go over the wire as ISO-8601 with milliseconds and a zone: `2026-11-25T08:46:53.123Z`.
extension Date {
    var wireFormat: String {
        formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }
}

/// An integer field. Foundation reports `1.5` or `1e30` for an `Int` as "not valid JSON" without naming
/// the field; decoding through this type turns them into a type mismatch at the field's path instead.
struct WholeNumber: Decodable {
    let value: Int

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let value = try? container.decode(Int.self) {
            self.value = value
            return
        }
        throw DecodingError.typeMismatch(Int.self, .init(
            codingPath: decoder.codingPath,
            debugDescription: "Expected an integer within 64-bit range."
        ))
    }
}

extension KeyedEncodingContainer {
    /// Writes `null` for nil, where a synthesized `Encodable` would leave the key out: every object of a
    /// kind then has the same keys. (A wrapper type with its own `encode(to:)` does the same at several
    /// times the cost per value, which a listing of 100 items pays 100 times.)
    mutating func encodeOrNull<Value: Encodable>(_ value: Value?, forKey key: Key) throws {
        if let value { try encode(value, forKey: key) } else { try encodeNil(forKey: key) }
    }
}

extension Response {
    /// Marks an answer replayed from an earlier request with the same Idempotency-Key.
    func markReplayed(_ replayed: Bool) -> Response {
        if replayed { headers.replaceOrAdd(name: "Idempotent-Replayed", value: "true") }
        return self
    }
}

extension Request {
    /// A listing's `status` query parameter, one of `Filter`'s raw values; nil when absent, a 400 listing
    /// them otherwise.
    func statusQuery<Filter: RawRepresentable & CaseIterable>(_ type: Filter.Type) throws -> Filter? where Filter.RawValue == String {
        guard let text = queryText("status") else { return nil }
        guard let filter = Filter(rawValue: text) else {
            let names = Filter.allCases.map(\.rawValue).joined(separator: ", ")
            throw AppError.invalidField(field: "status", reason: "status must be one of \(names)")
        }
        return filter
    }

    /// A listing's `resource`, `status`, `limit` and `offset` query parameters; `status` defaults to `defaultStatus`.
    func listQuery<Filter: RawRepresentable & CaseIterable & Sendable>(
        defaultStatus: Filter
    ) throws -> ListQuery<Filter> where Filter.RawValue == String {
        var query = ListQuery(status: defaultStatus)
        query.resourceID = try integerQuery("resource")
        query.limit = try integerQuery("limit") ?? query.limit
        query.offset = try integerQuery("offset") ?? query.offset
        query.status = try statusQuery(Filter.self) ?? query.status
        return query
    }
}

/// Writes one JSON object straight into a buffer, for an answer sent on every booking (Foundation's
/// encoder behind Vapor's content configuration was about 3 % of a booking's CPU). Members are written in
/// the order given, which callers keep sorted as the API's encoder sorts keys
/// (`JSONEncoder.custom(format: .sortedKeys)`); each answer written this way is tested against its
/// `Encodable` form.
struct JSONObjectWriter {
    private var buffer: ByteBuffer
    private var empty = true

    init(capacity: Int = 256) {
        buffer = ByteBufferAllocator().buffer(capacity: capacity)
        buffer.writeInteger(UInt8(ascii: "{"))
    }

    mutating func member(_ key: StaticString, _ value: Int) {
        open(key)
        buffer.writeString(String(value))
    }

    mutating func member(_ key: StaticString, _ value: String) {
        open(key)
        write(value)
    }

    mutating func member(_ key: StaticString, _ value: Int?) {
        if let value { member(key, value) } else { null(key) }
    }

    mutating func member(_ key: StaticString, _ value: String?) {
        if let value { member(key, value) } else { null(key) }
    }

    /// The object, closed.
    consuming func finish() -> ByteBuffer {
        buffer.writeInteger(UInt8(ascii: "}"))
        return buffer
    }

    private mutating func null(_ key: StaticString) {
        open(key)
        buffer.writeStaticString("null")
    }

    private mutating func open(_ key: StaticString) {
        if !empty { buffer.writeInteger(UInt8(ascii: ",")) }
        empty = false
        buffer.writeInteger(UInt8(ascii: "\""))
        buffer.writeStaticString(key)
        buffer.writeStaticString("\":")
    }

    /// A JSON string: quote, backslash and control characters escaped (RFC 8259 §7), the rest as UTF-8.
    private mutating func write(_ text: String) {
        buffer.writeInteger(UInt8(ascii: "\""))
        var plainFrom = text.utf8.startIndex
        for index in text.utf8.indices {
            let byte = text.utf8[index]
            guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
            buffer.writeBytes(text.utf8[plainFrom..<index])
            switch byte {
            case UInt8(ascii: "\""): buffer.writeStaticString("\\\"")
            case UInt8(ascii: "\\"): buffer.writeStaticString("\\\\")
            case UInt8(ascii: "\n"): buffer.writeStaticString("\\n")
            case UInt8(ascii: "\r"): buffer.writeStaticString("\\r")
            case UInt8(ascii: "\t"): buffer.writeStaticString("\\t")
            default:
                let low = byte & 0xF
                buffer.writeStaticString(byte < 0x10 ? "\\u000" : "\\u001")
                buffer.writeInteger(low < 10 ? UInt8(ascii: "0") + low : UInt8(ascii: "a") + (low - 10))
            }
            plainFrom = text.utf8.index(after: index)
        }
        buffer.writeBytes(text.utf8[plainFrom...])
        buffer.writeInteger(UInt8(ascii: "\""))
    }
}

extension Response {
    /// What `HTTPMediaType.json` reads as, without serialising it on every answer.
    static let jsonContentType = "application/json; charset=utf-8"

    /// A JSON answer of bytes already written.
    convenience init(status: HTTPStatus, json: ByteBuffer) {
        self.init(status: status, headers: ["Content-Type": Self.jsonContentType], body: .init(buffer: json))
    }
}
