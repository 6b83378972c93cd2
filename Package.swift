// swift-tools-version:6.1
import PackageDescription

// Four layers, each a target, so the compiler enforces which may use which (README, "Layout"):
//
//   booking (executable) ─▶ BookingApp ─▶ BookingPersistence ─▶ BookingDomain
//                                 └──────────────────────────────▶ BookingDomain
//
// BookingDomain owns the rules and declares the storage it needs as protocols; it knows no SQL and no
// HTTP. BookingPersistence implements those protocols in SQL. BookingApp is the edge (Vapor, HTTP,
// configuration, commands) and the composition root that plugs persistence into the domain.
let package = Package(
    name: "booking",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "booking", targets: ["booking"]),
    ],
    dependencies: [
        .package(url: "https://github.com/vapor/vapor.git", from: "4.122.3"),
        .package(url: "https://github.com/vapor/fluent.git", from: "4.13.0"),
        .package(url: "https://github.com/vapor/fluent-kit.git", from: "1.57.0"),
        .package(url: "https://github.com/vapor/fluent-sqlite-driver.git", from: "4.9.0"),
        .package(url: "https://github.com/vapor/fluent-postgres-driver.git", from: "2.14.0"),
        .package(url: "https://github.com/vapor/sql-kit.git", from: "3.36.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/pointfreeco/swift-clocks.git", from: "1.1.1"),
        .package(url: "https://github.com/apple/swift-openapi-generator.git", from: "1.14.3"),
        .package(url: "https://github.com/apple/swift-openapi-runtime.git", from: "1.13.4"),
        .package(url: "https://github.com/swift-server/swift-openapi-async-http-client.git", from: "1.5.0"),
        .package(url: "https://github.com/vapor/leaf.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/adam-fowler/compress-nio.git", from: "1.5.0"),
        .package(url: "https://github.com/x-sheep/swift-property-based.git", from: "2.0.1"),
        // Traces over OTLP/HTTP only (no gRPC): off unless OTEL_EXPORTER_OTLP_ENDPOINT is set.
        .package(url: "https://github.com/swift-otel/swift-otel.git", from: "1.6.0", traits: ["OTLPHTTP"]),
        .package(url: "https://github.com/apple/swift-distributed-tracing.git", from: "1.7.3"),
    ],
    targets: [
        // Small concurrency primitives with no knowledge of bookings: the async semaphore (SQLite write
        // gate, Bcrypt slots) and the fresh-read coalescer (the shared catalogue read). Generic, and used
        // on every booking from the other modules: in release builds their code is offered to those modules
        // (cross-module optimisation), so the compiler specialises it for the types used instead of looking
        // up generic metadata at run time (the batch queue did, on every booking; docs/performance.md).
        .target(name: "AsyncPrimitives", swiftSettings: [.unsafeFlags(["-cross-module-optimization"], .when(configuration: .release))]),
        .target(
            name: "BookingDomain",
            dependencies: [
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ]
        ),
        .target(
            name: "BookingPersistence",
            dependencies: [
                .target(name: "BookingDomain"),
                .target(name: "AsyncPrimitives"),
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "FluentKit", package: "fluent-kit"),
                .product(name: "FluentSQLiteDriver", package: "fluent-sqlite-driver"),
                .product(name: "FluentPostgresDriver", package: "fluent-postgres-driver"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ]
        ),
        .target(
            name: "BookingApp",
            dependencies: [
                .target(name: "BookingDomain"),
                .target(name: "BookingPersistence"),
                .target(name: "AsyncPrimitives"),
                .product(name: "Vapor", package: "vapor"),
                .product(name: "Fluent", package: "fluent"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Leaf", package: "leaf"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "OTel", package: "swift-otel"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ],
            // The contract, the pages' templates and their assets are compiled into the binary, so it finds
            // them wherever it runs (`swift run`, a release binary copied anywhere, the Docker image).
            resources: [.embedInCode("openapi.json"), .embedInCode("Web/Views"), .embedInCode("Web/Assets")]
        ),
        .executableTarget(
            name: "booking",
            dependencies: [.target(name: "BookingApp")]
        ),
        // The rules alone: the stock decision, the waiting list, limits, expiry, period keys; no database, no
        // server, in seconds.
        .testTarget(
            name: "BookingDomainTests",
            dependencies: [
                .target(name: "BookingDomain"),
                .product(name: "PropertyBased", package: "swift-property-based"),
            ]
        ),
        .testTarget(
            name: "BookingAppTests",
            dependencies: [
                .target(name: "BookingApp"),
                .target(name: "BookingDomain"),
                .target(name: "BookingPersistence"),
                .target(name: "AsyncPrimitives"),
                .product(name: "VaporTesting", package: "vapor"),
                .product(name: "InMemoryTracing", package: "swift-distributed-tracing"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "Clocks", package: "swift-clocks"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "ServiceLifecycleTestKit", package: "swift-service-lifecycle"),
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "PropertyBased", package: "swift-property-based"),
            ]
        ),
        // A client generated from the contract (Tests/TypedClientTests/openapi.json links to
        // Sources/BookingApp/openapi.json) at build time, used against a running server.
        .testTarget(
            name: "TypedClientTests",
            dependencies: [
                .target(name: "BookingApp"),
                .product(name: "Vapor", package: "vapor"),
                .product(name: "OpenAPIRuntime", package: "swift-openapi-runtime"),
                .product(name: "OpenAPIAsyncHTTPClient", package: "swift-openapi-async-http-client"),
            ],
            plugins: [.plugin(name: "OpenAPIGenerator", package: "swift-openapi-generator")]
        ),
    ]
)
