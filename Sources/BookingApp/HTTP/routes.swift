import Vapor

/// Every route, by controller. Each controller registers on the access groups of `APIRoutes`, so who may
/// call a route is declared next to it. Every path answers with or without a trailing slash: Vapor's
/// router ignores empty path components.
func routes(_ app: Application) throws {
    let body = RequestBodyMiddleware(budget: app.requestBodies,
                                     timeout: .milliseconds(Int64(app.bookingConfig.requestBodyTimeout * 1000)))
    let routes = APIRoutes(app: app, body: body)
    let controllers: [any APIController] = [
        UserController(),
        SessionController(),
        ResourceController(),
        BookingController(),
        HoldController(),
        WaitlistController(),
        EventController(),
        HealthController(),
        MetricsController(metrics: app.metrics, token: app.bookingConfig.metricsToken),
        DocsController(),
    ]
    for controller in controllers {
        controller.boot(routes: routes)
    }
    try SitePages.boot(app, routes: routes, body: body)
}
