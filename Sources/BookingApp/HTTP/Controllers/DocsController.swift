import Vapor

/// The published contract: `/openapi.json` serves `Sources/BookingApp/openapi.json` byte for byte (it is
/// compiled into the binary). `/docs`, the reference drawn from it, is one of the web pages (`SitePages`).
struct DocsController: APIController {
    func boot(routes: APIRoutes) {
        routes.operational.get("openapi.json", use: document)
    }

    /// The document's bytes, copied once.
    static let document = ByteBuffer(bytes: PackageResources.openapi_json)

    @Sendable func document(req: Request, caller: Void) async throws -> Response {
        Response(status: .ok, json: Self.document)
    }
}
