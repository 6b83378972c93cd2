import BookingDomain
import Foundation
import Vapor

/// Outermost: gives every request an id (the client's `X-Request-ID` when it is a sane one) that appears
/// in every log line of that request and in the response, and adds the security headers to every answer,
/// errors included.
struct ResponseHeadersMiddleware: AsyncMiddleware {
    /// Whether answers depend on the request's `Origin` (CORS with a list of origins): then every answer,
    /// those without `Access-Control-Allow-Origin` too, says so, so a shared cache keys it by origin.
    var variesByOrigin = false

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let requestID = Self.requestID(from: request.headers.first(name: .xRequestId))
        request.logger[metadataKey: "request-id"] = .string(requestID)
        let response = try await next.respond(to: request)
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
        return response
    }

    /// The client's id if it is 1 to 128 visible ASCII characters; otherwise a new UUID.
    static func requestID(from header: String?) -> String {
        if let header, header.isVisibleASCII(lengths: 1...128) {
            return header
        }
        return UUID().uuidString
    }
}
