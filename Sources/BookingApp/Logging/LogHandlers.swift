import Logging
import Synchronization

/// The logging system's factory: makes one handler per label and hands every new logger with that label a
/// copy of it. Vapor and RoutingKit make several loggers for every request (its parameters, its response),
/// and making each handler anew (the console's formatter, boxed, behind the redactor) was work for nothing:
/// a copy is a value of its own (setting metadata on one logger changes no other). Labels are names in
/// code, but the first `capacity` are kept at most, so no label made at run time could grow it.
public final class LogHandlers: Sendable {
    public static let capacity = 64

    private let make: @Sendable (String) -> RedactingLogHandler
    private let made = Mutex<[String: RedactingLogHandler]>([:])

    public init(_ make: @escaping @Sendable (String) -> RedactingLogHandler) {
        self.make = make
    }

    public func handler(label: String) -> any LogHandler {
        if let known = made.withLock({ $0[label] }) {
            return known
        }
        let handler = make(label)
        made.withLock { kept in
            if kept.count < Self.capacity { kept[label] = handler }
        }
        return handler
    }

    /// How many labels have a kept handler (for tests).
    var kept: Int { made.withLock { $0.count } }
}
