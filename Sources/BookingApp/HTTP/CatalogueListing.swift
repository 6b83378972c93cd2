import BookingDomain
import CompressNIO
import Crypto
import NIOCore
import Synchronization
import Vapor

/// The seed listing's answer (`GET /resources/` without paging), as bytes: encoded once per read for every
/// reader sharing it (``FreshReadCoalescer``), with a strong `ETag` (a digest of the bytes) and, made on
/// first demand and kept with them, a gzip of them. An unchanged catalogue keeps its bytes, digest and gzip
/// from one read to the next (``CatalogueListings/latest(_:more:)``), so a reader that already has it costs
/// a 304, and one that asks for gzip costs no compression.
final class CatalogueListing: Sendable {
    let json: ByteBuffer
    /// The hex digest the `ETag` is made of (one for the JSON, `-gzip` added for its gzip).
    let digest: String
    /// Whether there are more resources than the listing shows (`ResourceService.listingCap`).
    let more: Bool
    private let gzipped = Mutex<ByteBuffer?>(nil)
    /// The headers of its answers, made once: for the JSON, and for its gzip.
    private let plainHeaders: AnswerHeaders, gzipHeaders: AnswerHeaders

    init(json: ByteBuffer, more: Bool) {
        self.json = json
        self.more = more
        let digest = SHA256.hash(data: json.readableBytesView).prefix(12).map { String(format: "%02x", $0) }.joined()
        self.digest = digest
        plainHeaders = AnswerHeaders(digest: digest, gzip: false, more: more)
        gzipHeaders = AnswerHeaders(digest: digest, gzip: true, more: more)
    }

    /// Every answer says it varies by `Accept-Encoding`, carries its `ETag`, and, past the cap, a `Link` to
    /// the next page; one with a body (`full`) says what it is, a 304 (`notModified`) does not.
    private struct AnswerHeaders: Sendable {
        let full: HTTPHeaders
        let notModified: HTTPHeaders

        init(digest: String, gzip: Bool, more: Bool) {
            var headers: HTTPHeaders = ["ETag": "\"\(digest)\(gzip ? "-gzip" : "")\"", "Vary": "Accept-Encoding", "Cache-Control": "no-cache"]
            if more {
                headers.add(name: "Link", value: "</resources/?limit=\(ResourceService.listingCap)&offset=\(ResourceService.listingCap)>; rel=\"next\"")
            }
            notModified = headers
            headers.add(name: .contentType, value: Response.jsonContentType)
            if gzip { headers.add(name: .contentEncoding, value: "gzip") }
            full = headers
        }
    }

    /// The JSON, gzipped (once).
    func gzip() throws -> ByteBuffer {
        try gzipped.withLock { cached in
            if let cached { return cached }
            var source = json
            let compressed = try source.compress(with: .gzip())
            cached = compressed
            return compressed
        }
    }

    /// The answer to `request`: 304 when its `If-None-Match` names this version, else the JSON, gzipped
    /// when the client accepts gzip.
    func response(to request: Request) throws -> Response {
        let gzip = Self.acceptsGzip(request.headers[.acceptEncoding])
        let headers = gzip ? gzipHeaders : plainHeaders
        if let match = request.headers.first(name: .ifNoneMatch), Self.matches(match, digest: digest) {
            return Response(status: .notModified, headers: headers.notModified)
        }
        return Response(status: .ok, headers: headers.full, body: .init(buffer: gzip ? try self.gzip() : json))
    }

    /// Whether an `Accept-Encoding` list takes gzip (named, or `*`, with a quality above 0).
    static func acceptsGzip(_ values: [String]) -> Bool {
        values.flatMap { $0.split(separator: ",") }.contains { item in
            let parts = item.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            guard let coding = parts.first, coding == "gzip" || coding == "*" else { return false }
            let quality = parts.dropFirst().first { $0.hasPrefix("q=") }.flatMap { Double($0.dropFirst(2)) } ?? 1
            return quality > 0
        }
    }

    /// Whether `If-None-Match` names this version, in either encoding (weak comparison, as RFC 9110 asks
    /// of it), or is `*`.
    static func matches(_ header: String, digest: String) -> Bool {
        header.split(separator: ",").contains { item in
            var tag = item.trimmingCharacters(in: .whitespaces)
            if tag == "*" { return true }
            if tag.hasPrefix("W/") { tag.removeFirst(2) }
            return tag == "\"\(digest)\"" || tag == "\"\(digest)-gzip\""
        }
    }
}

/// The listing last encoded, so that an unchanged catalogue keeps its digest and its gzip.
final class CatalogueListings: Sendable {
    private let last = Mutex<CatalogueListing?>(nil)

    /// The listing for freshly encoded `json`: the last one if its bytes are the same, else a new one.
    func latest(_ json: ByteBuffer, more: Bool) -> CatalogueListing {
        last.withLock { last in
            if let last, last.more == more, last.json == json { return last }
            let listing = CatalogueListing(json: json, more: more)
            last = listing
            return listing
        }
    }
}
