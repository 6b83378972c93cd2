import BookingDomain
import Foundation
import Testing

let t0 = Date(timeIntervalSince1970: 1_800_000_000)

/// Shorthands for the requests of these tests (a pool's one period).
func book(_ userID: Int, _ quantity: Int) -> StockRequest { .book(userID: userID, quantity: quantity, span: .whole) }
func hold(_ userID: Int, _ quantity: Int, until: Date) -> StockRequest { .hold(userID: userID, quantity: quantity, until: until, span: .whole) }

extension Ledger {
    /// Decides one request at `now` and returns its outcome, with the ids of what it made.
    mutating func one(_ request: StockRequest, policy: StockPolicy = StockPolicy(), at now: Date = t0) -> Result<StockOutcome, AppError> {
        let (plan, _) = decide([request], policy: policy, at: now)
        return plan.outcomes[0]
    }

    /// The id of the booking, hold or entry a request made (it must have made one).
    mutating func made(_ request: StockRequest, policy: StockPolicy = StockPolicy(), at now: Date = t0) throws -> Int {
        let (plan, made) = decide([request], policy: policy, at: now)
        switch try plan.outcomes[0].get() {
        case .booked(let ref): return made.id(ref, \.bookings)
        case .held(let ref): return made.id(ref, \.holds)
        case .joined(let ref): return made.id(ref, \.entries)
        case .confirmed(let ref, _): return made.id(ref, \.bookings)
        case let other: throw Unexpected(outcome: other)
        }
    }

    struct Unexpected: Error { let outcome: StockOutcome }
}

@Suite("The stock decision: takes, limits, holds, cancellations, resizes")
struct StockDecisionTests {
    @Test("a booking takes available units and writes its event with the stock right after it")
    func booking() throws {
        var ledger = Ledger(total: 5)
        let (plan, made) = ledger.decide([book(7, 2)], at: t0)
        #expect(plan.outcomes == [.success(.booked(booking: .new(0)))])
        #expect(ledger.stock == Stock(total: 5, available: 3))
        #expect(ledger.bookings[made.bookings[0]] == .init(userID: 7, quantity: 2, status: .active, passedThrough: nil, holdID: nil))
        let event = try #require(plan.events.first)
        #expect(plan.events.count == 1)
        #expect((event.type, event.actor, event.quantity, event.stock) == (.bookingCreated, .user(7), 2, Stock(total: 5, available: 3)))
        #expect(event.subject == PlannedSubject(booking: .new(0), userID: 7))
        #expect(ledger.violations().isEmpty)
    }

    @Test("too few units: refused with the exact count left, and nothing is planned")
    func insufficient() {
        var ledger = Ledger(total: 2)
        let (plan, _) = ledger.decide([book(1, 3)], at: t0)
        #expect(plan.outcomes == [.failure(.insufficientQuantity(requested: 3, available: 2))])
        #expect(plan.moves.isEmpty && plan.events.isEmpty && plan.stock.isEmpty)
    }

    @Test("max_per_booking is checked first, then max_per_user over the units booked and held")
    func limits() {
        var ledger = Ledger(total: 10, limits: UserLimits(maxPerUser: 3, maxPerBooking: 2))
        #expect(ledger.one(book(1, 3)) == .failure(.perBookingLimit(max: 2)))
        #expect(ledger.one(book(1, 2)) == .success(.booked(booking: .new(0))))
        #expect(ledger.one(hold(1, 2, until: t0 + 60)) == .failure(.perUserLimit(max: 3, remaining: 1)))
        #expect(ledger.one(hold(1, 1, until: t0 + 60)) == .success(.held(hold: .new(0))))
        #expect(ledger.one(book(1, 1)) == .failure(.perUserLimit(max: 3, remaining: 0)))
        #expect(ledger.one(book(2, 2)) == .success(.booked(booking: .new(0))), "another user has their own allowance")
        #expect(ledger.stock == Stock(total: 10, available: 5, held: 1))
    }

    @Test("without max_per_user, MAX_HELD_PER_USER bounds the units one user holds, not what they book")
    func holdingBound() {
        var ledger = Ledger(total: 20)
        let policy = StockPolicy(maxHeldPerUser: 4)
        #expect(ledger.one(hold(1, 3, until: t0 + 60), policy: policy) == .success(.held(hold: .new(0))))
        #expect(ledger.one(hold(1, 2, until: t0 + 60), policy: policy) == .failure(.perUserHoldLimit(max: 4, remaining: 1)))
        #expect(ledger.one(book(1, 9), policy: policy) == .success(.booked(booking: .new(0))))
        #expect(ledger.one(hold(1, 2, until: t0 + 60), policy: StockPolicy(maxHeldPerUser: nil)) == .success(.held(hold: .new(0))))
    }

    @Test("holds that lapsed come back before anything is decided, each with its event at the moment it lapsed")
    func lapsedHolds() throws {
        var ledger = Ledger(total: 3)
        let held = try ledger.made(hold(1, 3, until: t0 + 60))
        #expect(ledger.one(book(2, 1), at: t0 + 59) == .failure(.insufficientQuantity(requested: 1, available: 0)))
        let (plan, _) = ledger.decide([book(2, 1)], at: t0 + 60)
        #expect(plan.outcomes == [.success(.booked(booking: .new(0)))])
        #expect(plan.events.map(\.type) == [.holdExpired, .bookingCreated])
        #expect(plan.events[0].at == t0 + 60 && plan.events[0].stock == Stock(total: 3, available: 3))
        #expect((plan.reclaimed, plan.report.holdsExpired) == (1, 1))
        #expect(ledger.holds[held]?.status == .expired)
        #expect(ledger.stock == Stock(total: 3, available: 2))
        #expect(ledger.violations().isEmpty)
    }

    @Test("a hold is confirmed once; again, the same booking; a lapsed hold only while its units can be taken again")
    func confirm() throws {
        var ledger = Ledger(total: 4)
        let first = try ledger.made(hold(1, 2, until: t0 + 60))
        let booking = try ledger.made(.confirm(holdID: first, by: .user(1)), at: t0 + 10)
        #expect(ledger.stock == Stock(total: 4, available: 2))
        #expect(ledger.one(.confirm(holdID: first, by: .user(1)), at: t0 + 20) == .success(.confirmed(booking: .existing(booking), created: false)))
        #expect(ledger.one(.release(holdID: first, by: .user(1))) == .failure(.holdNotActive))

        let late = try ledger.made(hold(2, 1, until: t0 + 60))
        let later = try ledger.made(hold(3, 1, until: t0 + 60), at: t0 + 1)
        #expect(ledger.stock == Stock(total: 4, available: 0, held: 2))
        #expect(ledger.one(book(4, 1), at: t0 + 61) == .success(.booked(booking: .new(0))))
        #expect(ledger.stock == Stock(total: 4, available: 1), "both lapsed and came back; someone took one of them")
        #expect(ledger.one(.confirm(holdID: late, by: .user(2)), at: t0 + 62) == .success(.confirmed(booking: .new(0), created: true)))
        #expect(ledger.one(.confirm(holdID: later, by: .user(3)), at: t0 + 63) == .failure(.holdExpired(available: 0)))
        #expect(ledger.one(.confirm(holdID: 999, by: .user(3))) == .failure(.holdNotFound))
        #expect(ledger.violations().isEmpty)
    }

    @Test("a cancellation gives the units back once")
    func cancel() throws {
        var ledger = Ledger(total: 4)
        let booking = try ledger.made(book(1, 3))
        #expect(ledger.one(.cancel(bookingID: booking, by: .user(1))) == .success(.cancelled(bookingID: booking)))
        #expect(ledger.stock == Stock(total: 4, available: 4))
        #expect(ledger.one(.cancel(bookingID: booking, by: .user(1))) == .failure(.bookingAlreadyCancelled))
        #expect(ledger.one(.cancel(bookingID: booking + 100, by: .user(1))) == .failure(.bookingNotFound))
        #expect(ledger.events.map(\.type) == [.bookingCreated, .bookingCancelled])
    }

    @Test("a new total moves the available units by the same delta, never below what is booked and held")
    func resize() throws {
        var ledger = Ledger(total: 5)
        _ = try ledger.made(book(1, 3))
        _ = try ledger.made(hold(2, 1, until: t0 + 600))
        #expect(ledger.one(.update(ResourceEdit(total: 3), by: .user(99))) == .failure(.totalBelowBooked(booked: 3, held: 1)))
        #expect(ledger.stock == Stock(total: 5, available: 1, held: 1))
        let (plan, _) = ledger.decide([.update(ResourceEdit(name: "Canoes", total: 4, maxPerUser: .some(2)), by: .user(99))], at: t0)
        #expect(plan.outcomes == [.success(.updated)])
        #expect(ledger.stock == Stock(total: 4, available: 0, held: 1))
        #expect(ledger.resource.limits == UserLimits(maxPerUser: 2))
        #expect(plan.events.map(\.resourceName) == ["Canoes"])
        #expect(plan.events[0].details["changed"] == .strings(["name", "total_quantity", "max_per_user"]))
    }

    @Test("in a batch each request is decided on what the requests before it left, refusals change nothing")
    func batch() {
        var ledger = Ledger(total: 6, limits: UserLimits(maxPerUser: 4))
        let (plan, made) = ledger.decide([book(1, 3), book(2, 4), hold(2, 2, until: t0 + 60), book(1, 2), book(3, 1)], at: t0)
        #expect(plan.outcomes == [
            .success(.booked(booking: .new(0))), .failure(.insufficientQuantity(requested: 4, available: 3)), .success(.held(hold: .new(0))),
            .failure(.perUserLimit(max: 4, remaining: 1)), .success(.booked(booking: .new(1))),
        ])
        #expect(made.bookings.count == 2 && made.bookings[0] < made.bookings[1], "records are made in arrival order")
        #expect(plan.events.map(\.stock) == [Stock(total: 6, available: 3), Stock(total: 6, available: 1, held: 2),
                                               Stock(total: 6, available: 0, held: 2)])
        #expect(plan.stock == [.whole: Stock(total: 6, available: 0, held: 2)], "the stock is written once")
    }
}
