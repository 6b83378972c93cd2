import BookingDomain
import Foundation
import Vapor

/// Gives every request an id (the client's `X-Request-ID` when it is a sane one) that appears in every log
/// line of that request and in the response, and adds the security headers to every answer, errors
/// included (``RequestServingMiddleware`` names the request first and stamps its answer last). It is also
/// the one place every answer's headers pass last: a header whose name or value could end the line it is
/// on (CR, LF, NUL) is dropped there (``HeaderGuard``).
struct ResponseHeaders: Sendable {
    /// Whether answers depend on the request's `Origin` (CORS with a list of origins): then every answer,
    /// those without `Access-Control-Allow-Origin` too, says so, so a shared cache keys it by origin.
    var variesByOrigin = false

    func stamp(_ response: Response, to request: Request, id requestID: String) {
        response.headers.replaceOrAdd(name: .xRequestId, value: requestID)
        response.headers.replaceOrAdd(name: .xContentTypeOptions, value: "nosniff")
        response.headers.replaceOrAdd(name: "Referrer-Policy", value: "no-referrer")
        response.headers.replaceOrAdd(name: .xFrameOptions, value: "DENY")
        if variesByOrigin {
            response.headers.add(name: .vary, value: "Origin")
        }
        if request.headers.first(name: .authorization) != nil {
            // An answer for one user must never be kept by a shared cache.
            response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        }
        HeaderGuard.dropUnsafe(from: &response.headers, logger: request.logger)
    }

    /// The client's id if it is 1 to 128 visible ASCII characters; otherwise a new UUID. Vapor has already
    /// named the request (and tagged its logger) with the client's header as it came or a UUID of its own,
    /// so only a header that is not a sane id costs a new one.
    static func requestID(of request: Request) -> String {
        guard let header = request.headers.first(name: .xRequestId), !header.isVisibleASCII(lengths: 1...128) else {
            return request.id
        }
        let requestID = UUID().uuidString
        request.logger[metadataKey: "request-id"] = .string(requestID)
        return requestID
    }
}

/// Keeps response splitting out: no header leaves with a character that would end its line (CR, LF) or
/// the string (NUL), whatever put it there. Such a header is dropped whole (a cleaned value could still
/// mean something else) and the drop is logged as the bug it is.
enum HeaderGuard {
    static func isSafe(_ text: String) -> Bool {
        !text.utf8.contains { $0 == 0x0D || $0 == 0x0A || $0 == 0x00 }
    }

    static func dropUnsafe(from headers: inout HTTPHeaders, logger: Logger) {
        guard !headers.allSatisfy({ isSafe($0.name) && isSafe($0.value) }) else { return }
        var kept = HTTPHeaders()
        for (name, value) in headers {
            if isSafe(name) && isSafe(value) {
                kept.add(name: name, value: value)
            } else {
                logger.error("Dropped a response header that carried CR, LF or NUL", metadata: ["header": .string(isSafe(name) ? name : "(unsafe name)")])
            }
        }
        headers = kept
    }
}
