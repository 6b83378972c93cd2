#if canImport(Glibc)
import Glibc
#endif

/// Runs shell commands for the tests (pg_ctl stopping and starting a PostgreSQL) without handing them
/// this process's open descriptors. NIO opens its sockets without close-on-exec, so with `system()` every
/// connection open at that moment was inherited by the command and by the server it leaves running: a
/// connection this process then closed stayed open for its peer for as long as that server lived (a
/// webhook receiver saw an attempt's connection outlive its time-out by minutes).
enum ChildProcess {
    /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34 and later), which its Swift module does not
    /// show: closes every descriptor from the one given in the child, whatever this process has open.
    private typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    private static let closeFrom: CloseFrom? = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np")
        .map { unsafeBitCast($0, to: CloseFrom.self) }

    /// Runs `bash -c command` with stdin and stdout on /dev/null, stderr shared, and no other descriptor;
    /// waits for it and returns its exit status (0: success), or nil if it could not be started.
    static func run(_ command: String) -> Int32? {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        guard let closeFrom = closeFrom, closeFrom(&actions, 3) == 0 else { return nil }
        let arguments: [UnsafeMutablePointer<CChar>?] = (["/bin/bash", "-c", command] as [String]).map { strdup($0) }
        defer { arguments.forEach { free($0) } }
        var pid = pid_t()
        guard posix_spawn(&pid, "/bin/bash", &actions, nil, arguments + [nil], environ) == 0 else { return nil }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 {
            guard errno == EINTR else { return nil }
        }
        return status
    }
}
