import AsyncKit
import FluentPostgresDriver
import Vapor

/// Turns every error into a JSON body `{"error": true, "reason": "...", "code": "..."}` with its status.
/// Errors the client did not cause are logged and answered with a generic 500 that reveals nothing.
struct ErrorResponseMiddleware: AsyncMiddleware {
    struct Body: Content {
        var error = true
        let reason: String
        let code: String
        let field: String?
    }

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        do {
            return try await next.respond(to: request)
        } catch {
            return Self.response(for: error, to: request)
        }
    }

    static func response(for error: any Error, to request: Request) -> Response {
        let status: HTTPResponseStatus
        let body: Body
        var headers = HTTPHeaders()
        switch error {
        case let error as AppError:
            status = error.status
            body = Body(reason: error.reason, code: error.code, field: error.field)
            switch error {
            case .tooManyLoginAttempts(let seconds), .tooManySignups(let seconds):
                headers.replaceOrAdd(name: .retryAfter, value: String(seconds))
            default:
                break
            }
        case let error as any AbortError:
            status = error.status
            headers = error.headers
            body = Body(reason: error.reason, code: code(for: status), field: nil)
        case _ where isDatabaseUnavailable(error):
            request.logger.warning("Database unavailable", metadata: ["error": "\(String(reflecting: error))"])
            status = .serviceUnavailable
            headers.replaceOrAdd(name: .retryAfter, value: "1")
            body = Body(reason: "The database is unavailable; try again shortly.", code: "database_unavailable", field: nil)
        default:
            request.logger.report(error: error)
            status = .internalServerError
            body = Body(reason: "Something went wrong on our side.", code: "internal_error", field: nil)
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

    /// Errors that mean the database could not be reached in time, as opposed to a fault in a statement.
    static func isDatabaseUnavailable(_ error: any Error) -> Bool {
        switch error {
        case is ConnectionPoolTimeoutError, is ConnectionPoolError:
            return true
        case let error as PSQLError:
            if let state = error.serverInfo?[.sqlState] {
                // 08: connection exceptions; 57: the server is shutting down or starting (57P01-57P03);
                // 53300: too many connections.
                return state.hasPrefix("08") || state.hasPrefix("57P") || state == "53300"
            }
            return [.connectionError, .serverClosedConnection, .clientClosedConnection, .poolClosed, .uncleanShutdown]
                .contains(error.code)
        default:
            return false
        }
    }

    /// A stable code for errors raised by Vapor itself (no route, body too large, ...).
    static func code(for status: HTTPResponseStatus) -> String {
        switch status {
        case .notFound: "not_found"
        case .methodNotAllowed: "method_not_allowed"
        case .payloadTooLarge: "payload_too_large"
        case .unsupportedMediaType: "unsupported_media_type"
        case .badRequest: "bad_request"
        case .unauthorized: "unauthorized"
        case .forbidden: "forbidden"
        default: status.code < 500 ? "client_error" : "server_error"
        }
    }
}
