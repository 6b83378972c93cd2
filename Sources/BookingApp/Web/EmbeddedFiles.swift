import LeafKit
import NIOCore
import Vapor

/// The pages' templates and assets, compiled into the binary (`Package.swift`, `.embedInCode`), so the
/// binary finds them wherever it runs: `swift run`, a release binary copied anywhere, the Docker image.
enum EmbeddedFiles {
    /// Templates by the name a page renders them with.
    static let templates: [String: [UInt8]] = [
        "base": PackageResources.base_leaf,
        "catalogue": PackageResources.catalogue_leaf,
        "resource": PackageResources.resource_leaf,
        "login": PackageResources.login_leaf,
        "signup": PackageResources.signup_leaf,
        "password": PackageResources.password_leaf,
        "bookings": PackageResources.bookings_leaf,
        "holds": PackageResources.holds_leaf,
        "waitlist": PackageResources.waitlist_leaf,
        "admin-resources": PackageResources.admin_resources_leaf,
        "admin-resource": PackageResources.admin_resource_leaf,
        "admin-users": PackageResources.admin_users_leaf,
        "admin-events": PackageResources.admin_events_leaf,
        "admin-notifications": PackageResources.admin_notifications_leaf,
        "admin-webhooks": PackageResources.admin_webhooks_leaf,
        "admin-webhook": PackageResources.admin_webhook_leaf,
        "docs": PackageResources.docs_leaf,
        "error": PackageResources.error_leaf,
    ]

    /// Assets by the path they are served at under `/assets/`, with their media type.
    static let assets: [String: (bytes: ByteBuffer, type: String)] = [
        "site.css": (ByteBuffer(bytes: PackageResources.site_css), "text/css; charset=utf-8"),
        "site.js": (ByteBuffer(bytes: PackageResources.site_js), "text/javascript; charset=utf-8"),
    ]

    /// Leaf's source for the templates above.
    struct Templates: LeafSource {
        func file(template: String, escape: Bool, on eventLoop: any EventLoop) throws -> EventLoopFuture<ByteBuffer> {
            let name = template.hasSuffix(".leaf") ? String(template.dropLast(5)) : template
            guard let bytes = EmbeddedFiles.templates[name] else {
                return eventLoop.makeFailedFuture(LeafError(.noTemplateExists(template)))
            }
            return eventLoop.makeSucceededFuture(ByteBuffer(bytes: bytes))
        }
    }
}
