import Vapor

/// Every route, by controller. Each controller registers on the access groups of `APIRoutes`, so who may
/// call a route is declared next to it. Every path answers with or without a trailing slash: Vapor's
/// router ignores empty path components. Each holds what it serves with (`server`), never the application.
func routes(_ app: Application, server: ServerContext) {
    let bodies = RequestBodies(budget: server.requestBodies, defaultLimit: app.routes.defaultMaxBodySize.value,
                               timeout: .milliseconds(Int64(server.config.requestBodyTimeout * 1000)))
    let routes = APIRoutes(app: app, server: server, bodies: bodies)
    let controllers: [any APIController] = [
        UserController(server: server),
        SessionController(server: server),
        ResourceController(server: server),
        SeriesController(server: server),
        BookingController(server: server),
        CalendarFeedController(server: server),
        HoldController(server: server),
        WaitlistController(server: server),
        EventController(server: server),
        NotificationController(server: server),
        HealthController(server: server),
        MetricsController(metrics: server.metrics, token: server.config.metricsToken),
        DocsController(),
    ]
    for controller in controllers {
        controller.boot(routes: routes)
    }
    SitePages.boot(app, server: server, routes: routes, body: RequestBodyMiddleware(bodies: bodies))
}
