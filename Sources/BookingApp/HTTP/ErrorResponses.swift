import BookingDomain
import BookingPersistence
import NIOHTTP1
import Vapor

/// Turns every error into a JSON body `{"error": true, "reason": "...", "code": "..."}` with its status.
/// Errors the client did not cause are logged and answered with a generic 500 that reveals nothing.
struct ErrorResponses: Sendable {
    struct Body: Content {
        var error = true
        let reason: String
        let code: ErrorCode
        let field: String?
        /// For `insufficient_quantity` on a dated resource: each short period and what is left in it.
        var periods: [ShortPeriod]? = nil
        /// For a refused series: each occurrence that cannot be booked, and why.
        var occurrences: [Occurrence]? = nil

        struct ShortPeriod: Content, Equatable {
            let start: String
            let end: String
            let availableQuantity: Int

            enum CodingKeys: String, CodingKey {
                case start, end
                case availableQuantity = "available_quantity"
            }
        }

        struct Occurrence: Content, Equatable {
            let start: String
            let end: String
            let code: ErrorCode
            let reason: String
            let periods: [ShortPeriod]?

            init(_ refusal: OccurrenceRefusal) {
                start = refusal.start
                end = refusal.end
                code = refusal.error.code
                reason = refusal.error.reason
                periods = refusal.error.shortPeriods
            }
        }
    }

    let server: ServerContext

    func response(for error: any Error, to request: Request) -> Response {
        let status: HTTPResponseStatus
        let body: Body
        var headers = HTTPHeaders()
        switch error {
        case let error as AppError:
            status = error.status
            body = Body(reason: error.reason, code: error.code, field: error.field, periods: error.shortPeriods,
                        occurrences: error.refusedOccurrences)
            switch error {
            case .tooManyLoginAttempts(let seconds), .tooManySignups(let seconds), .tooManyWrites(let seconds), .overloaded(let seconds):
                headers.replaceOrAdd(name: .retryAfter, value: String(seconds))
            default:
                break
            }
        case is RouteNotFound, is UnservedPath:
            // RFC 9110: a path that is served, asked with a method it is not served with, is a 405 that
            // says which methods it is served with.
            let allowed = AllowedMethods.forPath(request.url.path, in: server.routes.all)
            if allowed.isEmpty, let unserved = error as? UnservedPath {
                return response(for: unserved.notFound, to: request)
            }
            if allowed.isEmpty {
                status = .notFound
                body = Body(reason: "Not Found", code: .notFound, field: nil)
            } else {
                status = .methodNotAllowed
                headers.replaceOrAdd(name: .allow, value: allowed.joined(separator: ", "))
                body = Body(reason: "\(request.method.rawValue) is not allowed here; allowed: \(allowed.joined(separator: ", ")).",
                            code: .methodNotAllowed, field: nil)
            }
        case let error as HTTPParserError:
            if error == .invalidEOFState {
                // The client went away mid-request: its doing, not ours, and no one is left to answer.
                server.metrics.clientDisconnects.increment()
                status = Self.clientClosedRequest
                body = Body(reason: "The client closed the connection before the request was read.", code: .clientClosedRequest, field: nil)
            } else {
                status = .badRequest
                body = Body(reason: "The request is not valid HTTP.", code: .badRequest, field: nil)
            }
        case let error as any AbortError:
            status = error.status
            headers = error.headers
            body = Body(reason: error.reason, code: Self.code(for: status), field: nil)
        case is RequestTimedOut:
            status = .serviceUnavailable
            headers.replaceOrAdd(name: .retryAfter, value: "1")
            body = Body(reason: "The request took longer than REQUEST_TIMEOUT (the database may be failing over); retry, with the same Idempotency-Key for a booking or hold.",
                        code: .databaseUnavailable, field: nil)
        case _ where StorageFailure.isUnavailable(error):
            request.logger.warning("Database unavailable", metadata: ["error": "\(String(reflecting: error))"])
            status = .serviceUnavailable
            headers.replaceOrAdd(name: .retryAfter, value: "1")
            body = Body(reason: "The database is unavailable; try again shortly.", code: .databaseUnavailable, field: nil)
        default:
            request.logger.report(error: error)
            status = .internalServerError
            body = Body(reason: "Something went wrong on our side.", code: .internalError, field: nil)
        }
        if status == .unauthorized {
            // The metrics token is a bearer token; user tokens follow the Django REST convention.
            let scheme = (error as? AppError) == .metricsTokenRequired ? "Bearer" : "Token"
            headers.replaceOrAdd(name: .wwwAuthenticate, value: scheme)
        }
        let response = Response(status: status, headers: headers)
        do {
            try response.content.encode(body, as: .json)
        } catch {
            response.body = .init(string: #"{"error":true,"reason":"Something went wrong on our side.","code":"internal_error"}"#)
            response.headers.contentType = .json
        }
        return response
    }

    /// The answer to a request that arrives once shutdown has begun (``RequestServingMiddleware`` counts
    /// the requests being served): 503 `shutting_down` at once, without touching anything shutdown is
    /// taking away.
    static func shuttingDown() -> Response {
        let response = Response(status: .serviceUnavailable, headers: ["Retry-After": "1", "Connection": "close"])
        try? response.content.encode(Body(
            reason: "The server is shutting down; retry shortly (another replica may answer).", code: .shuttingDown, field: nil), as: .json)
        return response
    }

    /// nginx's status for a request its client abandoned; it is never sent, only logged and counted.
    static let clientClosedRequest = HTTPResponseStatus(statusCode: 499, reasonPhrase: "Client Closed Request")

    /// A stable code for errors raised by Vapor itself (body too large, ...).
    static func code(for status: HTTPResponseStatus) -> ErrorCode {
        switch status {
        case .notFound: .notFound
        case .methodNotAllowed: .methodNotAllowed
        case .payloadTooLarge: .payloadTooLarge
        case .requestTimeout: .requestTimeout
        case .unsupportedMediaType: .unsupportedMediaType
        case .badRequest: .badRequest
        default: status.code < 500 ? .clientError : .serverError
        }
    }
}
