import Vapor

/// What an error is answered with: the styled 404 page for a browser asking for a path nothing serves
/// (``PageNotFound``), otherwise its JSON body (``ErrorResponses``). ``RequestServingMiddleware`` answers
/// every error so; with CORS on, this also sits inside Vapor's `CORSMiddleware`, so that error answers
/// carry its headers too.
struct ErrorAnswers: Middleware {
    let json: ErrorResponses
    let pages: PageNotFound

    func answer(for error: any Error, to request: Request) async -> Response {
        guard pages.serves(error, to: request) else { return json.response(for: error, to: request) }
        do {
            return try await pages.page(to: request)
        } catch {
            return json.response(for: error, to: request)
        }
    }

    func respond(to request: Request, chainingTo next: any Responder) -> EventLoopFuture<Response> {
        next.respond(to: request).flatMapError { error in
            guard pages.serves(error, to: request) else { return request.eventLoop.makeSucceededFuture(json.response(for: error, to: request)) }
            return request.eventLoop.makeFutureWithTask { await answer(for: error, to: request) }
        }
    }
}
