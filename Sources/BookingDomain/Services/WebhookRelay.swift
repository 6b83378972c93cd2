import CoreMetrics
import Foundation

/// Sends the event feed to every enabled endpoint, in feed order, at least once; run in the background
/// on every server (``runOnce()`` each second or so).
///
/// Each run numbers the committed events (``EventStore/sequence()``), then leases the endpoints that are
/// behind and due (``WebhookStore/claimDue(at:head:leaseUntil:token:limit:)``: one statement, `FOR UPDATE
/// SKIP LOCKED` on PostgreSQL, so relays on several servers share the endpoints and never send to one at
/// once; the lease is a column, not a session lock, so it works through PgBouncer). For each, it sends
/// the events it wants after its cursor, one at a time; after each 2xx the cursor moves past it (only
/// while the lease is still this relay's). The first failure stops the endpoint: one more failure in a
/// row, and a back-off (10 s, doubling, at most a day) before the same event is tried again; 410 Gone or
/// `maxFailures` in a row disables it. A relay that dies mid-run leaves its cursor where the last 2xx
/// put it: when the lease runs out, the next relay sends from there, with the same `webhook-id`s.
public struct WebhookRelay: Sendable {
    let storage: any Storage
    let clock: any WallClock
    let sender: any WebhookSender
    let metrics: WebhookMetrics
    /// Failures in a row that disable an endpoint (`WEBHOOK_MAX_FAILURES`).
    let maxFailures: Int
    /// How long a lease lasts past each step: longer than one attempt may take (`WEBHOOK_TIMEOUT`).
    let leaseLength: TimeInterval
    /// Events sent to one endpoint per lease.
    public static let batch = 50

    public init(storage: any Storage, clock: any WallClock, sender: any WebhookSender, metrics: WebhookMetrics,
                maxFailures: Int, attemptTimeout: TimeInterval) {
        self.storage = storage
        self.clock = clock
        self.sender = sender
        self.metrics = metrics
        self.maxFailures = maxFailures
        // Before its first step a lease covers looking the host up and one attempt, each at most the time-out.
        self.leaseLength = 2 * attemptTimeout + 30
    }

    /// How long to wait after `failures` failures in a row before trying again.
    public static func backoff(afterFailures failures: Int) -> TimeInterval {
        min(86_400, 10 * pow(2, Double(max(0, min(failures, 20) - 1))))
    }

    /// One pass: numbers the feed, then sends to every endpoint that is due. Returns how many events
    /// were delivered (2xx).
    @discardableResult
    public func runOnce() async throws -> Int {
        try await EventService(storage: storage, metrics: metrics).sequence()
        let head = try await storage.events.head()
        let now = clock.now(), token = SessionService.makeToken()
        let leased = try await storage.webhooks.claimDue(at: now, head: head, leaseUntil: now.addingTimeInterval(leaseLength),
                                                          token: token, limit: 20)
        return try await withThrowingTaskGroup(of: Int.self) { group in
            for endpoint in leased {
                group.addTask { try await deliver(to: endpoint, through: head) }
            }
            return try await group.reduce(0, +)
        }
    }

    /// Sends what `leased` wants after its cursor up to `head`, in order, a batch at a time over one
    /// client, until it is caught up, an attempt fails or `budget` has passed; then gives the lease up.
    private func deliver(to leased: LeasedWebhook, through head: Int, budget: TimeInterval = 20) async throws -> Int {
        let endpoint = leased.endpoint, webhooks = storage.webhooks, events = storage.events
        let started = ContinuousClock.now
        let delivered = try await sender.session(to: endpoint.url) { send -> Int in
            var delivered = 0, cursor = endpoint.cursor, failures = endpoint.consecutiveFailures
            while ContinuousClock.now - started < .seconds(budget) {
                let batch = try await events.list(EventFilter(after: cursor, through: head, types: Set(endpoint.eventTypes), limit: Self.batch))
                for event in batch {
                    let now = clock.now()
                    let messageID = WebhookSignature.messageID(eventID: event.id)
                    let outcome = await send(OutgoingWebhook(url: endpoint.url, secret: leased.secret, messageID: messageID,
                                                             eventType: event.type.rawValue, event: event, timestamp: now))
                    metrics.delivered(outcome)
                    _ = try await webhooks.record(NewWebhookDelivery(endpointID: endpoint.id, eventID: event.id, eventType: event.type.rawValue,
                                                                     messageID: messageID, trigger: .relay, attemptedAt: now, outcome: outcome))
                    guard outcome.succeeded else {
                        failures += 1
                        let disable: String? = if outcome.statusCode == 410 {
                            "the endpoint answered 410 Gone"
                        } else if failures >= maxFailures {
                            "\(failures) failed deliveries in a row"
                        } else {
                            nil
                        }
                        if disable != nil { metrics.disabled() }
                        try await webhooks.fail(endpointID: endpoint.id, lease: leased.lease,
                                                retryAt: clock.now().addingTimeInterval(Self.backoff(afterFailures: failures)), disable: disable)
                        return delivered
                    }
                    failures = 0
                    delivered += 1
                    cursor = event.id
                    guard try await webhooks.advance(endpointID: endpoint.id, lease: leased.lease, cursor: event.id,
                                                     leaseUntil: clock.now().addingTimeInterval(leaseLength)) else {
                        // The lease ran out (or an admin disabled it): another relay goes on from the cursor.
                        return delivered
                    }
                }
                if batch.count < Self.batch {
                    // Nothing more it wants up to the head: it is caught up to there.
                    _ = try await webhooks.advance(endpointID: endpoint.id, lease: leased.lease, cursor: head, leaseUntil: clock.now())
                    break
                }
            }
            try await webhooks.release(endpointID: endpoint.id, lease: leased.lease)
            return delivered
        }
        return delivered
    }

    /// Sets the lag gauges: for each enabled endpoint, how old its oldest undelivered event is.
    public func measureLag() async throws {
        let now = clock.now()
        for (endpointID, oldest) in try await storage.webhooks.lag() {
            metrics.lag(endpointID: endpointID, seconds: oldest.map { max(0, now.timeIntervalSince($0)) } ?? 0)
        }
    }
}

/// What the event log and the webhooks count for `/metrics`.
public struct WebhookMetrics: Sendable {
    public enum Outcome: String, CaseIterable, Sendable {
        /// A 2xx answer.
        case success
        /// Another status.
        case failure
        /// No answer: time-out, connection refused, an address the sender may not call.
        case error
    }

    private let events: Counter
    private let deliveries: [Outcome: Counter]
    private let disables: Counter
    private let factory: any MetricsFactory

    public init(factory: any MetricsFactory) {
        self.factory = factory
        events = Counter(label: "booking_events_total", factory: factory)
        deliveries = ServiceMetrics.counters("booking_webhook_deliveries_total", by: "outcome", factory: factory)
        disables = Counter(label: "booking_webhook_endpoints_disabled_total", factory: factory)
    }

    func eventsWritten(_ count: Int) {
        if count > 0 { events.increment(by: count) }
    }

    func delivered(_ outcome: WebhookOutcome) {
        let kind: Outcome = outcome.statusCode == nil ? .error : outcome.succeeded ? .success : .failure
        deliveries[kind]?.increment()
    }

    func disabled() {
        disables.increment()
    }

    func lag(endpointID: Int, seconds: Double) {
        Gauge(label: "booking_webhook_lag_seconds", dimensions: [("endpoint", String(endpointID))], factory: factory).record(seconds)
    }
}
