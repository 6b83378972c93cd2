import Fluent

extension Migrations {
    /// The schema's history, in order. A shipped migration is never edited: a change is a new one.
    func addBookingSchema() {
        add(CreateUsers())
        add(CreateResources())
        add(CreateBookings())
        add(CreateAccessTokens())
        add(CreateIdempotencyKeys())
    }
}
