import Vapor

/// Every path answers with or without a trailing slash: Vapor's router ignores empty path components.
func routes(_ app: Application) throws {
    try app.register(collection: UserController())
    try app.register(collection: SessionController())
    try app.register(collection: ResourceController())
    try app.register(collection: BookingController())
    try app.register(collection: DocsController())
    try app.register(collection: HealthController())
}
