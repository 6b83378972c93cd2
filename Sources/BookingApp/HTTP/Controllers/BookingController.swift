import BookingDomain
import Vapor

struct BookingController: APIController {
    let server: ServerContext

    func boot(routes: APIRoutes) {
        let bookings = routes.user.grouped("bookings")
        bookings.post(use: create)
        bookings.get(use: index)
        bookings.get(":id", use: show)
        bookings.delete(":id", use: cancel)
    }

    @Sendable func create(req: Request, caller: Principal) async throws -> Response {
        let body: BookingRequest, range: PeriodRange?
        do {
            body = try req.decodeJSON(BookingRequest.self)
            range = try body.range
        } catch {
            // The service counts the refusals it decides; a body it never sees is counted here.
            server.metrics.services.refusedBooking(error)
            throw error
        }
        let outcome = try await server.domain.bookings.book(
            body.resource?.reference, quantity: body.purchaseQuantity?.value, in: range, for: caller.user,
            idempotencyKey: req.headers.first(name: "Idempotency-Key")
        )
        return BookingResponse(outcome.booking).response(status: .created).markReplayed(outcome.replayed)
    }

    /// `?resource=ID&status=active|cancelled|all&limit=1...1000&offset=N`
    /// On PostgreSQL the database writes the page's JSON and it is passed through (the hot listing spends
    /// its time decoding rows and encoding them again otherwise); elsewhere the DTOs are encoded.
    @Sendable func index(req: Request, caller: Principal) async throws -> Response {
        let query: BookingService.Query = try req.listQuery(defaultStatus: .active)
        if let json = try await server.domain.bookings.bookingsJSON(visibleTo: caller.user, query) {
            return Response(status: .ok, json: ByteBuffer(string: json))
        }
        return try await server.domain.bookings.bookings(visibleTo: caller.user, query).map(BookingResponse.init)
            .encodeResponse(for: req)
    }

    /// One booking of the caller's (an admin: anyone's), in whatever state it is.
    @Sendable func show(req: Request, caller: Principal) async throws -> Response {
        let id = try req.pathID(notFound: .bookingNotFound)
        return BookingResponse(try await server.domain.bookings.booking(id: id, visibleTo: caller.user)).response()
    }

    /// Cancels the booking; its units go back to the resource. Answers with the cancelled booking.
    @Sendable func cancel(req: Request, caller: Principal) async throws -> Response {
        let id = try req.pathID(notFound: .bookingNotFound)
        return BookingResponse(try await server.domain.bookings.cancel(bookingID: id, by: caller.user)).response()
    }
}
