import BookingDomain
import Vapor

/// `booking seed-demo`: a handful of resources and a demo user, for trying the service out.
struct SeedDemoCommand: AsyncCommand {
    struct Signature: CommandSignature {}

    var help: String { "Adds demo resources and a user demo / demo-password (skipping what exists)." }

    static let resources: [(name: String, description: String, total: Int)] = [
        ("Meeting room", "Seats 8, screen and whiteboard", 1),
        ("Projector", "Full HD, HDMI", 3),
        ("Cargo bike", "Carries 100 kg", 2),
        ("Concert ticket", "Saturday, standing", 200),
        ("Parking space", "Level -1", 12),
    ]

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        try await prepare(app)
        let services = app.domain
        for resource in Self.resources {
            do {
                _ = try await services.resources.create(.init(name: resource.name, description: resource.description,
                                                              totalQuantity: resource.total, availableQuantity: nil), by: .system)
                context.console.print("Added \(resource.name) (\(resource.total)).")
            } catch AppError.resourceNameTaken {
                context.console.print("\(resource.name) exists already.")
            }
        }
        do {
            _ = try await services.accounts.create(.init(username: "demo", email: "demo@example.com", password: "demo-password",
                                                         confirmPassword: "demo-password", isAdmin: false), by: .system)
            context.console.print("Added user demo with password demo-password.")
        } catch AppError.usernameTaken {
            context.console.print("User demo exists already.")
        }
    }
}

/// `booking stats`: each resource's stock, bookings, holds and waiting list.
struct StatsCommand: AsyncCommand {
    struct Signature: CommandSignature {}

    var help: String {
        "Prints every resource's stock (available, held, total), its active and cancelled bookings, its active holds and the entries waiting on its list."
    }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        try await prepare(app)
        let rows = try await app.domain.resources.stockReport()
        context.console.print("id\tavailable/held/total\tactive bookings (units)\tcancelled\tholds (units)\twaiting\tname")
        for row in rows {
            let stock = row.resource.stock
            context.console.print("\(row.resource.id)\t\(stock.available)/\(stock.held)/\(stock.total)\t"
                + "\(row.activeBookings) (\(row.activeUnits))\t\(row.cancelledBookings)\t\(row.activeHolds) (\(stock.held))\t\(row.resource.waitingEntries)\t\(row.resource.name)")
        }
        context.console.print("\(rows.count) resources, \(rows.reduce(0) { $0 + $1.activeBookings }) active bookings, "
            + "\(rows.reduce(0) { $0 + $1.activeHolds }) active holds (\(rows.reduce(0) { $0 + $1.resource.stock.held }) units held), "
            + "\(rows.reduce(0) { $0 + $1.resource.waitingEntries }) waiting-list entries waiting.")
    }
}
