/// Hashes and checks passwords. Implementations must keep the slow work off the event loop.
public protocol PasswordHashing: Sendable {
    func hash(_ password: String) async throws -> String
    func verify(_ password: String, against hash: String) async throws -> Bool
}
