/// Hashes and checks passwords. Implementations must keep the slow work off the event loop, and may refuse
/// work they could not start soon with ``AppError/overloaded(retryAfter:)``.
public protocol PasswordHashing: Sendable {
    func hash(_ password: String) async throws -> String
    /// `first`: a check that goes ahead of every ordinary one waiting (a login from an address the
    /// account uses), so a flood of other guesses cannot keep the real user out.
    func verify(_ password: String, against hash: String, first: Bool) async throws -> Bool
}

extension PasswordHashing {
    public func verify(_ password: String, against hash: String) async throws -> Bool {
        try await verify(password, against: hash, first: false)
    }
}
