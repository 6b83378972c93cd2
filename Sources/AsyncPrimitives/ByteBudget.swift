import Synchronization

/// A fixed number of bytes shared by many holders: a holder reserves what it needs or is refused at once,
/// and gives it back when done. Bounds the memory that request bodies being read may take together.
public final class ByteBudget: Sendable {
    public let capacity: Int
    private let used = Mutex(0)

    public init(capacity: Int) {
        precondition(capacity > 0, "a budget needs room")
        self.capacity = capacity
    }

    /// Reserves `bytes` if that many are free; false, reserving nothing, otherwise.
    public func reserve(_ bytes: Int) -> Bool {
        used.withLock { used in
            guard used + bytes <= capacity else { return false }
            used += bytes
            return true
        }
    }

    public func release(_ bytes: Int) {
        used.withLock { $0 -= bytes }
    }

    /// Bytes reserved now.
    public var inUse: Int { used.withLock { $0 } }
}
