import BookingDomain
import Foundation
import Testing

/// The rule over a dated resource's periods: the same decision as a pool's, taking units in every period
/// of a span or in none.
@Suite("The stock decision over periods")
struct DatedStockDecisionTests {
    static let schedule = try! Schedule(kind: .nightly, timeZone: "Europe/Berlin")
    static let facts = StockSnapshot.ResourceFacts(id: 1, name: "Rooms", description: "", limits: UserLimits())

    /// The nights from the `first`-th of December 2026, `count` of them.
    static func nights(_ first: Int, _ count: Int) -> Span {
        let start = LocalDate(year: 2026, month: 12, day: first)!
        return schedule.span(of: (0..<count).map { schedule.period(on: start.adding(days: $0)) })
    }

    static func key(_ day: Int) -> PeriodKey { nights(day, 1).keys[0] }

    static func snapshot(capacity: Int, stock: [Int: Stock] = [:], limits: UserLimits = UserLimits(),
                         owned: [Int: [PeriodKey: StockSnapshot.Owned]] = [:], holds: [Int: StockSnapshot.HoldFacts] = [:],
                         bookings: [Int: StockSnapshot.BookingFacts] = [:]) -> StockSnapshot {
        var periods: [PeriodKey: Stock] = [.whole: Stock(total: capacity, available: capacity)]
        for (day, units) in stock { periods[key(day)] = units }
        return StockSnapshot(resource: .init(id: 1, name: "Rooms", description: "", limits: limits), stock: periods, waitingCount: 0,
                             ownedInPeriods: owned, schedule: schedule, holds: holds, bookings: bookings)
    }

    @Test("a range takes its units in every night, creating the periods it is the first to touch; the resource's own stock is untouched")
    func takesEveryPeriod() throws {
        let span = Self.nights(10, 3)
        let plan = StockDecision.decide(Self.snapshot(capacity: 5, stock: [11: Stock(total: 5, available: 2)]),
                                        [.book(userID: 1, quantity: 2, span: span)], policy: StockPolicy(), at: t0)
        #expect(plan.outcomes == [.success(.booked(booking: .new(0)))])
        #expect(plan.stock == [Self.key(10): Stock(total: 5, available: 3), Self.key(11): Stock(total: 5, available: 0),
                               Self.key(12): Stock(total: 5, available: 3)])
        #expect(plan.moves == [.insertBooking(userID: 1, quantity: 2, span: span, hold: nil, passed: nil, at: t0)])
        let event = try #require(plan.events.first)
        #expect(event.stock == Stock(total: 5, available: 0), "the event carries the night left with the fewest units")
        #expect(event.details["start"] == .string("2026-12-10") && event.details["end"] == .string("2026-12-13"))
    }

    @Test("one short night refuses the whole range, naming each short night with what is left, and plans nothing")
    func allOrNothing() {
        let plan = StockDecision.decide(Self.snapshot(capacity: 5, stock: [11: Stock(total: 5, available: 1), 12: Stock(total: 5, available: 0)]),
                                        [.book(userID: 1, quantity: 2, span: Self.nights(10, 3))], policy: StockPolicy(), at: t0)
        #expect(plan.outcomes == [.failure(.insufficientInPeriods(requested: 2, available: 0, periods: [
            PeriodShortfall(start: "2026-12-11", end: "2026-12-12", available: 1),
            PeriodShortfall(start: "2026-12-12", end: "2026-12-13", available: 0),
        ]))])
        #expect(plan.moves.isEmpty && plan.events.isEmpty && plan.stock.isEmpty)
    }

    @Test("in a batch, overlapping ranges are decided in order on what the ones before left: partial overlaps counted exactly")
    func batchOfOverlaps() {
        let requests: [StockRequest] = [
            .book(userID: 1, quantity: 1, span: Self.nights(10, 3)), .book(userID: 2, quantity: 1, span: Self.nights(11, 3)),
            .book(userID: 3, quantity: 1, span: Self.nights(12, 1)), .book(userID: 4, quantity: 1, span: Self.nights(13, 2)),
        ]
        let plan = StockDecision.decide(Self.snapshot(capacity: 2), requests, policy: StockPolicy(), at: t0)
        // Night 12 is taken by the first two; the third is refused; the fourth shares night 13 with the second only.
        #expect(plan.outcomes.map { (try? $0.get()) != nil } == [true, true, false, true])
        #expect([10, 11, 12, 13, 14].map { plan.stock[Self.key($0)]?.available } == [1, 0, 0, 0, 1])
    }

    @Test("max_per_user counts a user's units in each night: the fullest night of the range decides what is left")
    func perUserPerPeriod() {
        let owned: [Int: [PeriodKey: StockSnapshot.Owned]] = [7: [Self.key(11): .init(booked: 2), Self.key(12): .init(booked: 1)]]
        let snapshot = Self.snapshot(capacity: 9, limits: UserLimits(maxPerUser: 3), owned: owned)
        let decide = { (span: Span, quantity: Int) in
            StockDecision.decide(snapshot, [.book(userID: 7, quantity: quantity, span: span)], policy: StockPolicy(), at: t0).outcomes[0]
        }
        #expect(decide(Self.nights(10, 3), 2) == .failure(.perUserLimit(max: 3, remaining: 1)))
        #expect((try? decide(Self.nights(10, 3), 1).get()) != nil)
        #expect((try? decide(Self.nights(12, 3), 2).get()) != nil, "other nights are theirs to take")
    }

    @Test("a cancellation, a release and a lapse each give back every night of their span, once")
    func givesBackEachPeriod() {
        let span = Self.nights(20, 2)
        let taken = [20: Stock(total: 4, available: 1, held: 1), 21: Stock(total: 4, available: 1, held: 1)]
        let lapsed = StockSnapshot.HoldFacts(id: 5, userID: 2, quantity: 1, status: .held, expiresAt: t0, entryID: nil, passedThrough: nil,
                                             bookingID: nil, span: span)
        let booking = StockSnapshot.BookingFacts(id: 9, userID: 1, quantity: 2, status: .active, passedThrough: nil, span: span)
        let plan = StockDecision.decide(Self.snapshot(capacity: 4, stock: taken, holds: [5: lapsed], bookings: [9: booking]),
                                        [.cancel(bookingID: 9, by: .user(1)), .cancel(bookingID: 9, by: .user(1))], policy: StockPolicy(), at: t0)
        #expect(plan.reclaimed == 1)
        #expect(plan.outcomes[0] == .success(.cancelled(bookingID: 9)))
        #expect(plan.outcomes[1] == .failure(.bookingAlreadyCancelled))
        #expect(plan.stock == [Self.key(20): Stock(total: 4, available: 4), Self.key(21): Stock(total: 4, available: 4)])
    }

    @Test("a new total moves every night by the same delta, refused if any night would go below what it has taken")
    func resize() {
        let snapshot = Self.snapshot(capacity: 4, stock: [10: Stock(total: 4, available: 1), 11: Stock(total: 4, available: 3)])
        let shrink = StockDecision.decide(snapshot, [.update(ResourceEdit(total: 2), by: .system)], policy: StockPolicy(), at: t0)
        #expect(shrink.outcomes == [.failure(.totalBelowBooked(booked: 3, held: 0))])
        let grow = StockDecision.decide(snapshot, [.update(ResourceEdit(total: 6), by: .system)], policy: StockPolicy(), at: t0)
        #expect(grow.stock == [.whole: Stock(total: 6, available: 6), Self.key(10): Stock(total: 6, available: 3),
                               Self.key(11): Stock(total: 6, available: 5)])
    }
}
