/// Shares one read among every caller that asks for it at about the same time, without ever handing a
/// caller a result older than its own request.
///
/// At most one read runs at a time. A caller arriving while none runs starts one. A caller arriving while
/// one runs does not join it (that read may have looked at the data before the caller's own write
/// committed); it joins the single read queued to start when the running one ends, which all such
/// callers share. So every answer comes from a read that began after the caller arrived: what a plain
/// read would give, done once for many callers instead of once each.
public actor FreshReadCoalescer<Value: Sendable> {
    private var running: Task<Value, any Error>?
    private var queued: Task<Value, any Error>?
    /// Callers sharing the queued read (for tests and diagnostics).
    private(set) var callersQueued = 0

    public init() {}

    public func value(_ read: @escaping @Sendable () async throws -> Value) async throws -> Value {
        if let queued {
            callersQueued += 1
            return try await queued.value
        }
        let task: Task<Value, any Error>
        if let previous = running {
            // The task inherits this actor's isolation, so the promotion happens on the actor, before
            // the read begins.
            task = Task {
                _ = await previous.result
                promoteQueued()
                return try await read()
            }
            queued = task
            callersQueued = 1
        } else {
            task = Task { try await read() }
            running = task
        }
        let result = await task.result
        if running == task {
            running = nil
        }
        return try result.get()
    }

    /// The queued read begins: later callers must queue a new one.
    private func promoteQueued() {
        running = queued
        queued = nil
        callersQueued = 0
    }
}
