import BookingDomain
import Foundation
import PropertyBased
import Testing

/// A random resource, a history that built its records, and requests to decide next: the inputs of the
/// properties below. Each operation is one integer, read as a kind, a user (1-3), a quantity (1-4) and
/// which existing record it names, so that shrinking a failure shrinks to a short, readable history.
struct Scenario: CustomStringConvertible {
    let total: Int
    let limits: UserLimits
    let policy: StockPolicy
    let history: [Int]
    let requests: [Int]
    /// How long after the history the requests are decided (past 60 s, the history's holds have lapsed).
    let later: TimeInterval

    static let generator = zip(Gen.int(in: 1...8), Gen.int(in: 1...6).optional, Gen.int(in: 1...4).optional, Gen.int(in: 2...6).optional,
                               Gen.int(in: 0...9_999).array(of: 0...12), Gen.int(in: 0...9_999).array(of: 1...8), Gen.int(in: 0...2))
        .map { total, maxPerUser, maxPerBooking, maxHeld, history, requests, later in
            Scenario(total: total, limits: UserLimits(maxPerUser: maxPerUser, maxPerBooking: maxPerBooking),
                     policy: StockPolicy(offerTTL: 90, holdTTL: 60, maxHeldPerUser: maxHeld), history: history, requests: requests,
                     later: [0, 30, 100][later])
        }

    var description: String {
        "total \(total) \(limits) held≤\(policy.maxHeldPerUser.map(String.init) ?? "∞") history \(history) requests \(requests) later \(later)"
    }

    /// The request an operation stands for, over `ledger`'s records.
    static func request(_ op: Int, over ledger: Ledger, at now: Date) -> StockRequest {
        let user = (op / 9) % 3 + 1, quantity = (op / 27) % 4 + 1, pick = op / 108
        func one(_ ids: some Collection<Int>) -> Int { ids.isEmpty ? 999 : ids.sorted()[pick % ids.count] }
        switch op % 9 {
        case 0, 1: return book(user, quantity)
        case 2: return hold(user, quantity, until: now + 60)
        case 3: return .join(userID: user, quantity: quantity)
        case 4: return .cancel(bookingID: one(ledger.bookings.keys), by: .user(user))
        case 5: return .confirm(holdID: one(ledger.holds.keys), by: .user(user))
        case 6: return .release(holdID: one(ledger.holds.keys), by: .user(user))
        case 7: return .leave(entryID: one(ledger.entries.keys), removal: nil, by: .user(user))
        default: return .decline(entryID: one(ledger.entries.keys), by: .user(user))
        }
    }

    /// The resource after the history, each operation decided alone, ten seconds apart.
    func ledgerAfterHistory() -> Ledger {
        var ledger = Ledger(total: total, limits: limits)
        for (index, op) in history.enumerated() {
            let now = t0 + Double(index) * 10
            ledger.decide([Self.request(op, over: ledger, at: now)], policy: policy, at: now)
        }
        return ledger
    }

    var requestTime: Date { t0 + Double(history.count) * 10 + later }
}

@Suite("Properties of the stock decision")
struct StockPropertyTests {
    @Test("a batch is decided as each of its requests alone, in turn: same outcomes, same records, same events")
    func batchEqualsAlone() async {
        await propertyCheck(count: 400, input: Scenario.generator) { scenario in
            let start = scenario.ledgerAfterHistory(), now = scenario.requestTime
            let requests = scenario.requests.map { Scenario.request($0, over: start, at: now) }
            var together = start
            let (plan, made) = together.decide(requests, policy: scenario.policy, at: now)
            var alone = start
            var outcomes: [Result<String, AppError>] = []
            for request in requests {
                let (one, madeOne) = alone.decide([request], policy: scenario.policy, at: now)
                outcomes.append(one.outcomes[0].map { Self.resolved($0, madeOne) })
            }
            #expect(plan.outcomes.map { $0.map { Self.resolved($0, made) } } == outcomes, "\(scenario)")
            #expect(together == alone, "\(scenario)")
        }
    }

    /// An outcome with the ids of the records it names.
    static func resolved(_ outcome: StockOutcome, _ made: Ledger.Made) -> String {
        switch outcome {
        case .booked(let ref): "booked \(made.id(ref, \.bookings))"
        case .held(let ref): "held \(made.id(ref, \.holds))"
        case .confirmed(let ref, let created): "confirmed \(made.id(ref, \.bookings)) \(created)"
        case .joined(let ref): "joined \(made.id(ref, \.entries))"
        default: "\(outcome)"
        }
    }

    @Test("whatever happens, in any order: never oversold, the stock agrees with the records, every limit holds, every offer is a hold")
    func invariants() async {
        await propertyCheck(count: 400, input: Scenario.generator) { scenario in
            scenario.play { request, before, plan, ledger in
                #expect(ledger.violations().isEmpty, "\(ledger.violations()) after \(request) in \(scenario)")
                if case .failure = plan.outcomes[0], plan.reclaimed == 0, plan.report.offersMade == 0 {
                    #expect(ledger == before, "a refusal changes nothing: \(request) in \(scenario)")
                }
                if case .success = plan.outcomes[0], let maxPerUser = scenario.limits.maxPerUser, request.isTake {
                    let owned = ledger.owned(by: request.userID)
                    #expect(owned <= maxPerUser, "user \(request.userID) owns \(owned) after \(request) in \(scenario)")
                }
                if case .success = plan.outcomes[0], case .hold(let userID, _, _, _) = request, scenario.limits.maxPerUser == nil,
                   let cap = scenario.policy.maxHeldPerUser {
                    #expect(ledger.held(by: userID) <= cap, "user \(userID) holds more than \(cap) in \(scenario)")
                }
            }
        }
    }

    @Test("a user's own bookings and holds never pass their own entry")
    func ownTakesNeverPass() async {
        await propertyCheck(count: 300, input: Scenario.generator) { scenario in
            scenario.play { request, before, _, ledger in
                guard request.isTake else { return }
                for (id, entry) in ledger.entries where entry.userID == request.userID && entry.status == .waiting {
                    #expect(entry.passedUnits <= before.entries[id]?.passedUnits ?? 0,
                            "entry \(id) of user \(entry.userID) passed by their own \(request)")
                }
            }
        }
    }
}

extension Scenario {
    /// Decides the requests one at a time after the history, 25 s apart, calling `check` after each with
    /// the request, the ledger before it, the plan and the ledger after.
    func play(_ check: (StockRequest, Ledger, StockPlan, Ledger) -> Void) {
        var ledger = ledgerAfterHistory()
        for (index, op) in requests.enumerated() {
            let at = requestTime + Double(index) * 25
            let request = Scenario.request(op, over: ledger, at: at)
            let before = ledger
            let (plan, _) = ledger.decide([request], policy: policy, at: at)
            check(request, before, plan, ledger)
        }
    }
}

extension StockRequest {
    var isTake: Bool {
        switch self {
        case .book, .hold: true
        default: false
        }
    }

    var userID: Int {
        switch self {
        case .book(let userID, _, _), .hold(let userID, _, _, _), .join(let userID, _, _): userID
        default: 0
        }
    }
}

extension Ledger {
    func owned(by userID: Int) -> Int {
        bookings.values.filter { $0.userID == userID && $0.status == .active }.reduce(0) { $0 + $1.quantity } + held(by: userID)
    }

    func held(by userID: Int) -> Int {
        holds.values.filter { $0.userID == userID && $0.status == .held }.reduce(0) { $0 + $1.quantity }
    }
}
