#if canImport(Glibc)
import Glibc
#endif

/// Gives memory the allocator holds but nobody uses back to the system. After a burst of large requests
/// glibc keeps the freed pages in its arenas, so the process looks as big as its busiest second for ever;
/// glibc's `malloc_trim` returns them (measured in docs/reliability.md). Elsewhere, or where the C library
/// has no `malloc_trim` (musl), it does nothing.
enum FreeMemory {
    #if canImport(Glibc)
    private typealias Trim = @convention(c) (Int) -> Int32
    /// Looked up at run time: `malloc.h` is not part of Swift's Glibc module.
    private static let trim: Trim? = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim")
        .map { unsafeBitCast($0, to: Trim.self) }
    #endif

    static func returnToSystem() {
        #if canImport(Glibc)
        _ = trim?(0)
        #endif
    }
}
