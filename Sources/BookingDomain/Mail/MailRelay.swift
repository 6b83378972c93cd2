import CoreMetrics
import Foundation

/// Sends the e-mail the event log calls for, at least once, never for a change that did not commit; run
/// in the background on every server (``runOnce()`` each second or so) when a mail server is configured.
///
/// Each run (1) plans: under the outbox's planning lease, reads the events after its cursor, asks
/// ``MailPlan`` which messages each calls for, queues them and moves the cursor in one transaction (the
/// first run only sets the cursor to the head: mail starts with the changes after it was turned on);
/// (2) sends: ``parallel`` senders each claim one due queued message at a time (each by one relay) and
/// hand it to the ``MailSender``. A sent message is done; a transient failure is tried again after a
/// back-off (30 s, doubling, at most an hour) up to ``maxAttempts``; a permanent one (5xx) ends it as
/// failed. A relay that dies mid-send leaves its claim to run out (the sender's longest attempt and 30 s),
/// and the message is sent again with the same Message-ID.
public struct MailRelay: Sendable {
    let storage: any Storage
    let events: EventService
    let clock: any WallClock
    let sender: any MailSender
    /// The domain of the Message-IDs (the sender's address's).
    let host: String
    let metrics: MailMetrics

    public static let maxAttempts = 8
    /// Events planned per run, and messages sent per run at most.
    public static let batch = 200
    /// Messages sent at once (each on its own connection), so that one slow server's answer holds back
    /// no more than a quarter of the relay.
    public static let parallel = 4

    public init(storage: any Storage, events: EventService, clock: any WallClock, sender: any MailSender, host: String, metrics: MailMetrics) {
        self.metrics = metrics
        self.storage = storage
        self.events = events
        self.clock = clock
        self.sender = sender
        self.host = host
    }

    /// How long to wait after `attempts` failed attempts.
    public static func backoff(afterAttempts attempts: Int) -> TimeInterval {
        min(3600, 30 * pow(2, Double(max(0, min(attempts, 20) - 1))))
    }

    /// One pass; answers how many messages were sent.
    @discardableResult
    public func runOnce() async throws -> Int {
        try await plan()
        return try await send()
    }

    func plan() async throws {
        try await events.sequence()
        let head = try await storage.events.head(), now = clock.now(), token = SessionService.makeToken()
        guard let lease = try await storage.notifications.claimPlanning(token: token, leaseUntil: now.addingTimeInterval(60), at: now) else {
            return
        }
        guard let cursor = lease.cursor, cursor < head else {
            _ = try await storage.notifications.queue([], messageIDHost: host, cursor: max(lease.cursor ?? head, head), token: token, at: now)
            return
        }
        let events = try await storage.events.list(EventFilter(after: cursor, through: head, types: MailPlan.eventTypes, limit: Self.batch))
        let reached = events.count == Self.batch ? events.last?.id ?? head : head
        _ = try await storage.notifications.queue(events.flatMap(MailPlan.mails(for:)), messageIDHost: host, cursor: reached, token: token, at: now)
    }

    func send() async throws -> Int {
        let sent = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<Self.parallel {
                group.addTask { try await sendInTurn() }
            }
            return try await group.reduce(0, +)
        }
        metrics.queueAge(try await storage.notifications.oldestUnsent().map { max(0, clock.now().timeIntervalSince($0)) } ?? 0)
        return sent
    }

    /// One of the relay's ``parallel`` senders: claims the next due message (for ``claim``, so a relay that
    /// dies mid-send holds it no longer than that), sends it and records the outcome, until none is due or
    /// it has sent its share of ``batch``.
    private func sendInTurn() async throws -> Int {
        var sent = 0
        for _ in 0..<(Self.batch / Self.parallel) {
            let now = clock.now(), token = SessionService.makeToken()
            guard let mail = try await storage.notifications.claimDue(token: token, leaseUntil: now.addingTimeInterval(claim), at: now, limit: 1).first
            else { break }
            let started = ContinuousClock.now
            let outcome = await sender.send(mail)
            let took = ContinuousClock.now - started
            var retryAt: Date?
            if case .failed(let permanent, _) = outcome, !permanent, mail.attempts + 1 < Self.maxAttempts {
                retryAt = clock.now().addingTimeInterval(Self.backoff(afterAttempts: mail.attempts + 1))
            }
            if outcome == .sent { sent += 1 }
            metrics.attempted(mail.kind, outcome == .sent ? .sent : retryAt == nil ? .failed : .retried, took: took)
            try await storage.notifications.record(mail.id, token: token, outcome: outcome, retryAt: retryAt, at: clock.now())
        }
        return sent
    }

    /// How long a claim lasts: the longest one attempt may take, and time to record its outcome.
    var claim: TimeInterval {
        Double(sender.attemptLimit.components.seconds) + 30
    }
}

/// E-mail in `/metrics`: messages by kind and outcome, the SMTP dialogue's duration, and the age of the
/// oldest message not yet sent.
public struct MailMetrics: Sendable {
    public enum Outcome: String, CaseIterable, Sendable {
        case sent, retried, failed
    }

    private let messages: [String: Counter]
    private let latency: CoreMetrics.Timer
    private let age: Gauge

    public init(factory: any MetricsFactory) {
        var messages: [String: Counter] = [:]
        for kind in NotificationKind.allCases {
            for outcome in Outcome.allCases {
                messages["\(kind.rawValue)|\(outcome.rawValue)"] = Counter(
                    label: "booking_mail_messages_total", dimensions: [("kind", kind.rawValue), ("outcome", outcome.rawValue)], factory: factory)
            }
        }
        self.messages = messages
        latency = CoreMetrics.Timer(label: "booking_mail_smtp_seconds", factory: factory)
        age = Gauge(label: "booking_mail_oldest_unsent_seconds", factory: factory)
    }

    func attempted(_ kind: NotificationKind, _ outcome: Outcome, took: Duration) {
        messages["\(kind.rawValue)|\(outcome.rawValue)"]?.increment()
        latency.recordNanoseconds(took.components.seconds * 1_000_000_000 + took.components.attoseconds / 1_000_000_000)
    }

    func queueAge(_ seconds: TimeInterval) {
        age.record(seconds)
    }
}
