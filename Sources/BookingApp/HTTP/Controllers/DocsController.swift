import Vapor

/// The published contract: `/openapi.json` serves `Sources/BookingApp/openapi.json` byte for byte (it is
/// compiled into the binary), and `/docs` shows it with Swagger UI from its public CDN (the way FastAPI
/// does it; nothing third-party is committed).
struct DocsController: APIController {
    func boot(routes: APIRoutes) {
        routes.operational.get("openapi.json", use: document)
        routes.operational.get("docs", use: page)
    }

    /// The document's bytes, copied once.
    static let document = ByteBuffer(bytes: PackageResources.openapi_json)

    @Sendable func document(req: Request, caller: Void) async throws -> Response {
        Response(status: .ok, headers: ["Content-Type": "application/json; charset=utf-8"], body: .init(buffer: Self.document))
    }

    @Sendable func page(req: Request, caller: Void) async throws -> Response {
        Response(status: .ok, headers: ["Content-Type": "text/html; charset=utf-8"], body: .init(string: Self.html))
    }

    static let html = """
        <!doctype html>
        <html lang="en">
        <head>
          <meta charset="utf-8">
          <title>Booking service API</title>
          <link rel="stylesheet" href="https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui.css">
        </head>
        <body>
          <div id="swagger-ui"></div>
          <script src="https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui-bundle.js"></script>
          <script>SwaggerUIBundle({ url: "/openapi.json", dom_id: "#swagger-ui" });</script>
        </body>
        </html>
        """
}
