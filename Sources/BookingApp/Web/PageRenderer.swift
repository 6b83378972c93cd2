import BookingDomain
import BookingPersistence
import Leaf
import LeafKit
import Vapor

/// Renders the pages from the embedded templates (parsed once, then cached). Built once and captured by
/// the page routes, so rendering never looks Leaf up in the application (``ServerContext``).
struct PageRenderer: @unchecked Sendable {
    // Unchecked: Leaf's tags are stateless and its default cache locks itself; the rest is Sendable.
    private let configuration = LeafConfiguration(rootDirectory: "/")
    private let tags = LeafKit.defaultTags
    private let cache: any LeafCache = DefaultLeafCache()
    private let sources: LeafSources

    init() throws {
        sources = LeafSources()
        try sources.register(source: "embedded", using: EmbeddedFiles.Templates(), searchable: true)
    }

    /// Renders `template` with `context` as an HTML answer with `status`.
    func render(_ template: String, _ context: some Encodable & Sendable, status: HTTPStatus = .ok,
                for request: Request) async throws -> Response {
        let leaf = LeafRenderer(configuration: configuration, tags: tags, cache: cache, sources: sources,
                                eventLoop: request.eventLoop)
        let view = try await leaf.render(template, context).get()
        let response = try await view.encodeResponse(status: status, for: request)
        response.headers.replaceOrAdd(name: .contentType, value: "text/html; charset=utf-8")
        response.headers.replaceOrAdd(name: "Content-Security-Policy", value: Page.contentSecurityPolicy)
        return response
    }

    struct ErrorContext: Encodable, Sendable {
        let page: PageContext
        let reason: String
    }

    /// A styled error page for what a page could not do: the service's reason for its refusals, a login
    /// redirect where a session is needed, and nothing revealing for our own faults.
    func errorResponse(for error: any Error, to request: Request) async throws -> Response {
        let status: HTTPStatus, title: String, reason: String
        switch error {
        case PageError.signInRequired(let next):
            return request.redirect(to: "/account/login?next=\(next.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(["/"])) ?? "/")")
        case PageError.csrf:
            (status, title, reason) = (.forbidden, "Form expired", "This form has expired or did not come from this site. Reload the page and try again.")
        case PageError.adminRequired:
            (status, title, reason) = (.forbidden, "Not allowed", "Only an admin can open this page.")
        case PageError.notFound, is UnservedPath:
            (status, title, reason) = (.notFound, "Not found", "There is no such page.")
        case let error as AppError:
            (status, title, reason) = (error.status, error.status == .notFound ? "Not found" : "Not possible", error.reason)
        case _ where StorageFailure.isUnavailable(error):
            (status, title, reason) = (.serviceUnavailable, "Try again", "The service is briefly unavailable; try again in a moment.")
        default:
            request.logger.report(error: error)
            (status, title, reason) = (.internalServerError, "Something went wrong", "Something went wrong on our side.")
        }
        return try await render("error", ErrorContext(page: PageContext(request, title: title), reason: reason), status: status, for: request)
    }
}
