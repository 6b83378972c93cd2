/// Hashes and checks passwords. Implementations must keep the slow work off the event loop, and may refuse
/// work they could not start soon with ``AppError/overloaded(retryAfter:)``.
public protocol PasswordHashing: Sendable {
    func hash(_ password: String) async throws -> String
    func verify(_ password: String, against hash: String) async throws -> Bool
}
