import Vapor

/// Every path answers with or without a trailing slash: Vapor's router ignores empty path components.
func routes(_ app: Application) throws {
    // The API. A token that is presented must be valid, even where none is needed.
    let api = app.grouped(TokenAuthMiddleware())
    try api.register(collection: UserController())
    try api.register(collection: SessionController())
    try api.register(collection: ResourceController())
    try api.register(collection: BookingController())

    // For operators, probes, scrapers and documentation readers: user tokens play no part.
    try app.register(collection: HealthController())
    try app.register(collection: MetricsController(metrics: app.metrics, token: app.bookingConfig.metricsToken))
    try app.register(collection: DocsController())
}
