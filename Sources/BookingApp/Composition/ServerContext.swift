import AsyncPrimitives
import BookingDomain
import ServiceLifecycle
import Tracing
import Vapor

/// Everything the routes and middleware use while serving, built once by `configure(_:with:clock:)` and
/// captured by each route and middleware when it is built. A request never looks anything up in the
/// `Application`: shutdown clears the application's storage, and a request still running then would find
/// nothing there. What it holds here stays valid; past shutdown the databases answer as closed (503).
/// A class: every middleware and route holds it, and handing on a struct of this size copied (retained)
/// each of its fields, on every request, at every step.
final class ServerContext: Sendable {
    let config: AppConfig
    let domain: DomainServices
    let metrics: AppMetrics
    /// `GET /resources/`'s shared reads and encodings: for signed-in callers (from the primary), and for
    /// anonymous ones (from the read replicas, when `READ_DATABASE_URL` is set).
    let catalogue = SharedCatalogue()
    let anonymousCatalogue = SharedCatalogue()
    /// The memory that request bodies being read may take together (`REQUEST_BODY_MEMORY`).
    let requestBodies: ByteBudget
    /// The requests being served; shutdown waits for them (`RequestServingMiddleware`, `RequestDrain`).
    let requestsInFlight: Drain
    /// Every route, for the `Allow` header of a 405.
    let routes: Routes
    /// The web pages' templates.
    let pages: PageRenderer
    /// What makes spans, when tracing is on (`RequestTracingMiddleware`); nil: nothing is traced.
    let tracer: (any Tracer)?
    /// The OTLP exporter, run beside the server (`ServeCommand`) when traces are exported.
    let traceExport: (any Service)?

    init(config: AppConfig, domain: DomainServices, metrics: AppMetrics, requestBodies: ByteBudget, requestsInFlight: Drain,
         routes: Routes, pages: PageRenderer, tracer: (any Tracer)?, traceExport: (any Service)?) {
        self.config = config
        self.domain = domain
        self.metrics = metrics
        self.requestBodies = requestBodies
        self.requestsInFlight = requestsInFlight
        self.routes = routes
        self.pages = pages
        self.tracer = tracer
        self.traceExport = traceExport
    }

    /// The client's IP address, looking through trusted proxies (`TRUSTED_PROXIES`); `unknown` when the
    /// connection has none (in-process tests).
    func clientAddress(of request: Request) -> String {
        ClientAddress.resolve(peer: request.remoteAddress?.ipAddress, forwardedFor: request.headers[.xForwardedFor],
                              trusted: config.trustedProxies) ?? "unknown"
    }
}

/// Shares `GET /resources/` reads (and their encoding) among concurrent requests, and keeps the listing as
/// last encoded while the catalogue does not change.
struct SharedCatalogue: Sendable {
    let reads = FreshReadCoalescer<CatalogueListing>()
    let listings = CatalogueListings()
}

extension ServerContext {
    /// The absolute URL of `path` on this server as the client reached it: its `Host`, and `https` when a
    /// trusted proxy says the client came that way (`X-Forwarded-Proto`).
    func absoluteURL(of path: String, for request: Request) -> String {
        let peer = request.remoteAddress?.ipAddress
        let viaProxy = peer.map { address in config.trustedProxies.contains { $0.contains(address) } } ?? false
        let scheme = viaProxy && request.headers.first(name: "X-Forwarded-Proto")?.lowercased() == "https" ? "https" : "http"
        // A host name or address with its port; anything else in the header is not used.
        let host = request.headers.first(name: .host).flatMap { host in
            !host.isEmpty && host.utf8.allSatisfy { $0.isURLSafeBase64 || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: ":")
                || $0 == UInt8(ascii: "[") || $0 == UInt8(ascii: "]") } ? host : nil
        } ?? "localhost"
        return "\(scheme)://\(host)\(path)"
    }
}
