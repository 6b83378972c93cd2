#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Every connection is a file descriptor. Processes start with a low soft limit (1,024 under systemd)
/// and may raise it to their hard limit themselves; a server does, so a flood of connections meets the
/// hard limit, and the idle time-out, before it meets an arbitrary default.
enum OpenFileLimit {
    /// Raises the soft limit to the hard one; returns the limit now in force, or nil if it cannot be read.
    static func raiseToHardLimit() -> UInt64? {
        var limit = rlimit()
        guard getrlimit(Self.resource, &limit) == 0 else { return nil }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(Self.resource, &raised) == 0 { return UInt64(raised.rlim_cur) }
        }
        return UInt64(limit.rlim_cur)
    }

    #if canImport(Glibc)
    private static let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
    #else
    private static let resource = RLIMIT_NOFILE
    #endif
}
