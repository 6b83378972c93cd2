import BookingDomain
import Vapor

/// Every web page, registered on `PageRoutes`; the assets; and the API reference at `/docs`, drawn from the
/// OpenAPI document by the server itself, so it needs nothing from the internet.
enum SitePages {
    static func boot(_ app: Application, server: ServerContext, routes: APIRoutes, body: RequestBodyMiddleware) {
        let pages = PageRoutes(app: app, server: server, body: body)
        PublicPages(server: server).boot(pages)
        MyPages(server: server).boot(pages)
        AdminPages(server: server).boot(pages)
        AdminEventPages(server: server).boot(pages)
        pages.open.get("docs") { req, _ in
            try await server.pages.render("docs", DocsContext(page: PageContext(req, title: "API reference"), operations: operations), for: req)
        }
        routes.operational.get("assets", ":file", use: asset)
    }

    @Sendable static func asset(req: Request, caller: Void) async throws -> Response {
        guard let name = req.parameters.get("file"), let asset = EmbeddedFiles.assets[name] else { throw Abort(.notFound) }
        var headers: HTTPHeaders = ["Content-Type": asset.type, "Cache-Control": "public, max-age=3600"]
        headers.replaceOrAdd(name: "Content-Security-Policy", value: Page.contentSecurityPolicy)
        return Response(status: .ok, headers: headers, body: .init(buffer: asset.bytes))
    }

    struct Operation: Encodable, Sendable {
        let method: String
        let path: String
        let summary: String
        let access: String
        let description: String
        let hasDescription: Bool
        let parameters: String
        let hasParameters: Bool
        let responses: String
    }

    struct DocsContext: Encodable, Sendable {
        let page: PageContext
        let operations: [Operation]
    }

    /// Every operation of the document, in its order: method, path, who may call it, parameters, answers.
    static let operations: [Operation] = {
        guard let document = try? JSONSerialization.jsonObject(with: Data(PackageResources.openapi_json)) as? [String: Any],
              let paths = document["paths"] as? [String: [String: Any]] else { return [] }
        // JSONSerialization loses the document's order; the paths sort as the README's table reads.
        let order = String(decoding: PackageResources.openapi_json, as: UTF8.self)
        func position(_ path: String) -> String.Index { order.range(of: "\"\(path)\": {")?.lowerBound ?? order.endIndex }
        return paths.keys.sorted { position($0) < position($1) }.flatMap { path -> [Operation] in
            ["get", "post", "put", "patch", "delete"].compactMap { method in
                guard let operation = paths[path]?[method] as? [String: Any] else { return nil }
                let security = operation["security"] as? [[String: [String]]] ?? []
                let access = security.contains { $0.values.contains { $0.contains("admin") } } ? "admin token"
                    : security.contains { $0.isEmpty } || security.isEmpty ? "anyone" : "token"
                let parameters = (operation["parameters"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
                var bodyNames: [String] = []
                if let body = operation["requestBody"] as? [String: Any], let content = body["content"] as? [String: Any],
                   let json = content["application/json"] as? [String: Any], let schema = json["schema"] as? [String: Any],
                   let ref = schema["$ref"] as? String {
                    bodyNames = ["body: " + (ref.split(separator: "/").last.map(String.init) ?? "")]
                }
                let responses = (operation["responses"] as? [String: Any] ?? [:]).keys.sorted()
                let description = operation["description"] as? String ?? ""
                return Operation(method: method.uppercased(), path: path, summary: operation["summary"] as? String ?? "", access: access,
                                 description: description, hasDescription: !description.isEmpty,
                                 parameters: (parameters + bodyNames).joined(separator: ", "), hasParameters: !(parameters + bodyNames).isEmpty,
                                 responses: responses.joined(separator: ", "))
            }
        }
    }()

}

/// A browser asking for a path nothing serves gets the styled 404 page; API clients keep their JSON.
struct PageNotFound: Sendable {
    let server: ServerContext

    /// Whether `error` is a browser's `GET` of a path nothing serves (with no method at all).
    func serves(_ error: any Error, to request: Request) -> Bool {
        error is RouteNotFound && request.method == .GET && request.headers.accept.mediaTypes.contains(.html)
            && AllowedMethods.forPath(request.url.path, in: server.routes.all).isEmpty
    }

    func page(to request: Request) async throws -> Response {
        request.csrfSeed = SessionService.makeToken()
        return try await server.pages.errorResponse(for: PageError.notFound, to: request)
    }
}
