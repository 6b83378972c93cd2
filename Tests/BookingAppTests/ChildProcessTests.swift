import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Testing

@Suite("Commands the tests run")
struct ChildProcessTests {
    @Test("a command the tests run, and a process it leaves running (as pg_ctl leaves PostgreSQL), hold none of the test process's sockets: a connection closed here is closed for its peer")
    func childrenHoldNoSockets() async throws {
        let peer = try await DribblingServer.start()
        defer { Task { try? await peer.stop() } }
        let connection = try await RawConnection.open(port: peer.port)
        try await eventually { peer.snapshot.open == 1 }
        let pidFile = FileManager.default.temporaryDirectory.appendingPathComponent("child-\(UUID().uuidString).pid").path
        #expect(ChildProcess.run("sleep 600 & echo $! > '\(pidFile)'") == 0)
        let child = try #require(Int32(try String(contentsOfFile: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        defer {
            kill(child, SIGKILL)
            try? FileManager.default.removeItem(atPath: pidFile)
        }
        await connection.close()
        // Had the child inherited the socket, the peer would see it open for the child's ten minutes.
        try await eventually(within: .seconds(60)) { peer.snapshot.open == 0 }
        #expect(kill(child, 0) == 0, "the child still runs: its end did not close the connection")
    }
}
