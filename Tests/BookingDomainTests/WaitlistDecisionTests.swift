import BookingDomain
import Foundation
import Testing

@Suite("The waiting list as the stock decision serves it")
struct WaitlistDecisionTests {
    @Test("a user's own takes never pass their own entry: booking and cancelling cannot freeze a resource")
    func ownTakes() throws {
        var ledger = Ledger(total: 10)
        _ = try ledger.made(book(2, 5))
        let entry = try ledger.made(.join(userID: 1, quantity: 10))
        for _ in 0..<3 {
            let booking = try ledger.made(book(1, 5))
            _ = try ledger.one(.cancel(bookingID: booking, by: .user(1))).get()
        }
        #expect(ledger.entries[entry]?.passedUnits == 0)
        #expect(ledger.one(book(3, 1)) == .success(.booked(booking: .new(0))), "others still buy")
        #expect(ledger.entries[entry]?.passedUnits == 1, "others' takes do pass it")
        #expect(ledger.violations().isEmpty)
    }

    @Test("units given back no longer count as having passed the entries their take passed")
    func passesGivenBack() throws {
        var ledger = Ledger(total: 4)
        _ = try ledger.made(book(2, 3))
        let entry = try ledger.made(.join(userID: 1, quantity: 2))
        let booking = try ledger.made(book(3, 1))
        #expect(ledger.entries[entry]?.passedUnits == 1)
        _ = try ledger.one(.cancel(bookingID: booking, by: .user(3))).get()
        #expect(ledger.entries[entry]?.passedUnits == 0)
    }

    @Test("an entry passed by its quantity is a barrier: nobody else gets units until it is offered its own")
    func barrier() throws {
        var ledger = Ledger(total: 4)
        let early = try ledger.made(book(2, 2))
        let entry = try ledger.made(.join(userID: 1, quantity: 3))
        _ = try ledger.made(book(3, 1))
        _ = try ledger.made(book(4, 1))
        _ = try ledger.one(.update(ResourceEdit(total: 6), by: .user(99))).get()
        #expect(ledger.stock.available == 2 && ledger.entries[entry]?.status == .waiting, "2 free units do not fit an entry of 3")
        _ = try ledger.made(book(5, 1))
        #expect(ledger.entries[entry]?.passedUnits == 3)
        #expect(ledger.one(book(6, 1)) == .failure(.reservedForWaitlist(available: 1, waiting: 1)))
        #expect(ledger.one(hold(6, 1, until: t0 + 60)) == .failure(.reservedForWaitlist(available: 1, waiting: 1)))

        let (plan, made) = ledger.decide([.cancel(bookingID: early, by: .user(2))], at: t0 + 5)
        #expect(plan.events.map(\.type) == [.bookingCancelled, .waitlistOffered])
        #expect(ledger.entries[entry]?.status == .offered)
        let offer = try #require(ledger.holds[made.holds[0]])
        #expect((offer.userID, offer.quantity, offer.entryID, offer.expiresAt) == (1, 3, entry, t0 + 5 + StockPolicy().offerTTL))
        #expect(ledger.waitingCount == 0)
        #expect(ledger.one(book(6, 1)) == .failure(.insufficientQuantity(requested: 1, available: 0)))
        #expect(ledger.violations().isEmpty)
    }

    @Test("an entry asks for no more than its user could hold, fits the resource, and is the user's only one")
    func joinBounds() throws {
        var limited = Ledger(total: 10, limits: UserLimits(maxPerUser: 3))
        #expect(limited.one(.join(userID: 1, quantity: 4)) == .failure(.perUserLimit(max: 3, remaining: 3)))
        var open = Ledger(total: 50)
        #expect(open.one(.join(userID: 1, quantity: 11), policy: StockPolicy(maxHeldPerUser: 10))
                == .failure(.perUserHoldLimit(max: 10, remaining: 10)))
        #expect(open.one(.join(userID: 1, quantity: 60), policy: StockPolicy(maxHeldPerUser: nil))
                == .failure(.invalidField(field: "quantity", reason: "quantity cannot exceed the resource's total of 50 unit(s)")))
        _ = try open.made(book(2, 50))
        #expect(open.one(.join(userID: 1, quantity: 5)) == .success(.joined(entry: .new(0))))
        #expect(open.one(.join(userID: 1, quantity: 1)) == .failure(.alreadyWaiting))
    }

    @Test("an entry that fits at once is offered at once, for no longer than a hold lasts")
    func immediateOffer() throws {
        var ledger = Ledger(total: 2)
        let policy = StockPolicy(offerTTL: 1800, holdTTL: 600)
        let (plan, made) = ledger.decide([.join(userID: 1, quantity: 2)], policy: policy, at: t0)
        #expect(plan.events.map(\.type) == [.waitlistJoined, .waitlistOffered])
        #expect(ledger.holds[made.holds[0]]?.expiresAt == t0 + 600)
        #expect(ledger.stock == Stock(total: 2, available: 0, held: 2))
    }

    @Test("a lapsed offer expires its entry and its units go to the next in line; accepting books them")
    func offersLapseAndAccept() throws {
        var ledger = Ledger(total: 2)
        _ = try ledger.made(book(9, 2))
        let first = try ledger.made(.join(userID: 1, quantity: 2))
        let second = try ledger.made(.join(userID: 2, quantity: 2))
        let booking = try #require(ledger.bookings.first { $0.value.userID == 9 }?.key)
        _ = try ledger.one(.cancel(bookingID: booking, by: .user(9)), at: t0 + 10)
        #expect(ledger.entries[first]?.status == .offered)
        let ttl = StockPolicy().offerTTL
        let (plan, made) = ledger.decide([], at: t0 + 10 + ttl)
        #expect(plan.events.map(\.type) == [.waitlistExpired, .waitlistOffered])
        #expect((plan.report.offersExpired, plan.report.offersMade) == (1, 1))
        #expect(ledger.entries[first]?.status == .expired && ledger.entries[second]?.status == .offered)
        let offer = made.holds[0]
        #expect(ledger.one(.confirm(holdID: offer, by: .user(2)), at: t0 + 20 + ttl) == .success(.confirmed(booking: .new(0), created: true)))
        #expect(ledger.entries[second]?.status == .accepted)
        #expect(ledger.stock == Stock(total: 2, available: 0))
        #expect(ledger.violations().isEmpty)
    }

    @Test("declining or leaving with an offer gives its units to the next entry; leaving twice is refused")
    func declineAndLeave() throws {
        var ledger = Ledger(total: 1)
        _ = try ledger.made(book(9, 1))
        let first = try ledger.made(.join(userID: 1, quantity: 1))
        let second = try ledger.made(.join(userID: 2, quantity: 1))
        let third = try ledger.made(.join(userID: 3, quantity: 1))
        let booking = try #require(ledger.bookings.first { $0.value.userID == 9 }?.key)
        _ = try ledger.one(.cancel(bookingID: booking, by: .user(9))).get()
        #expect(ledger.one(.decline(entryID: second, by: .user(2))) == .failure(.noPendingOffer))
        #expect(ledger.one(.decline(entryID: first, by: .user(1))) == .success(.declined(entryID: first)))
        #expect(ledger.entries[first]?.status == .declined && ledger.entries[second]?.status == .offered)
        #expect(ledger.one(.leave(entryID: second, removal: nil, by: .user(2))) == .success(.left(entryID: second)))
        #expect(ledger.entries[second]?.status == .left && ledger.entries[third]?.status == .offered)
        #expect(ledger.one(.leave(entryID: second, removal: nil, by: .user(2))) == .failure(.waitlistEntryEnded))
        let removal = WaitlistRemoval(reason: "duplicate account", adminID: 99)
        #expect(ledger.one(.leave(entryID: third, removal: removal, by: .user(99))) == .success(.left(entryID: third)))
        #expect(ledger.entries[third]?.status == .removed)
        #expect(ledger.stock == Stock(total: 1, available: 1) && ledger.waitingCount == 0)
        #expect(ledger.violations().isEmpty)
    }

    @Test("a deactivated user's entry keeps its place but is passed over")
    func inactiveUsers() throws {
        var ledger = Ledger(total: 1)
        _ = try ledger.made(book(9, 1))
        let first = try ledger.made(.join(userID: 1, quantity: 1))
        let second = try ledger.made(.join(userID: 2, quantity: 1))
        ledger.inactive = [1]
        let booking = try #require(ledger.bookings.first { $0.value.userID == 9 }?.key)
        _ = try ledger.one(.cancel(bookingID: booking, by: .user(9))).get()
        #expect(ledger.entries[first]?.status == .waiting && ledger.entries[second]?.status == .offered)
    }
}

@Suite("The waiting-list serving rule")
struct WaitlistServingTests {
    let total = 5
    let limits = UserLimits(maxPerBooking: 4)

    @Test("fits: offer; does not fit: skip until overtaken by its quantity, then stop; never servable or over a limit: skip")
    func decisions() {
        #expect(WaitlistServing.decide(quantity: 1, passedUnits: 0, free: 1, total: total, limits: limits, mayTake: true) == .offer)
        #expect(WaitlistServing.decide(quantity: 2, passedUnits: 1, free: 1, total: total, limits: limits, mayTake: true) == .skip)
        #expect(WaitlistServing.decide(quantity: 2, passedUnits: 2, free: 1, total: total, limits: limits, mayTake: true) == .stop)
        #expect(WaitlistServing.decide(quantity: 1, passedUnits: 0, free: 1, total: total, limits: limits, mayTake: false) == .skip)
        // Above max_per_booking or the total: never a barrier, however often it was passed.
        #expect(WaitlistServing.decide(quantity: 5, passedUnits: 9, free: 1, total: total, limits: limits, mayTake: true) == .skip)
        #expect(WaitlistServing.decide(quantity: 6, passedUnits: 9, free: 6, total: total, limits: limits, mayTake: true) == .skip)
        // Only a barrier keeps the free units from bookings and holds, and only one the resource can serve.
        #expect(WaitlistServing.blocksPublic(quantity: 4, passedUnits: 4, total: total, limits: limits, mayTake: true))
        #expect(!WaitlistServing.blocksPublic(quantity: 4, passedUnits: 3, total: total, limits: limits, mayTake: true))
        #expect(!WaitlistServing.blocksPublic(quantity: 4, passedUnits: 4, total: total, limits: limits, mayTake: false))
        #expect(!WaitlistServing.blocksPublic(quantity: 5, passedUnits: 9, total: total, limits: limits, mayTake: true))
    }
}

@Suite("Stock policy and period keys")
struct PolicyAndPeriodTests {
    @Test("an immediate offer lasts no longer than a hold; the bound on units held gives way to max_per_user")
    func policy() {
        #expect(StockPolicy(offerTTL: 1800, holdTTL: 600).immediateOfferTTL == 600)
        #expect(StockPolicy(offerTTL: 300, holdTTL: 600).immediateOfferTTL == 300)
        let policy = StockPolicy(maxHeldPerUser: 10)
        #expect(policy.maxEntryQuantity(under: UserLimits()) == 10)
        #expect(policy.maxEntryQuantity(under: UserLimits(maxPerUser: 3)) == 3)
        #expect(StockPolicy(maxHeldPerUser: nil).maxEntryQuantity(under: UserLimits()) == nil)
        #expect(throws: AppError.perUserHoldLimit(max: 10, remaining: 2)) { try policy.checkHolding(3, held: 8, under: UserLimits()) }
        #expect(throws: Never.self) { try policy.checkHolding(30, held: 8, under: UserLimits(maxPerUser: 50)) }
    }

    @Test("period keys order by kind, then index: the order their rows are locked in")
    func periodOrder() {
        let keys = [PeriodKey(kind: .whole, index: 3), .whole, PeriodKey(kind: .whole, index: -2)]
        #expect(keys.sorted() == [PeriodKey(kind: .whole, index: -2), .whole, PeriodKey(kind: .whole, index: 3)])
        #expect(PeriodKey.whole.description == "whole")
        #expect(Set([PeriodKey.whole, PeriodKey(kind: .whole, index: 0)]).count == 1)
    }
}
