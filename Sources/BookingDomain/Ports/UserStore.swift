import Foundation

/// Users and their password hashes.
public protocol UserStore: Sendable {
    /// Inserts a user, or returns nil when the username or e-mail is already taken (regardless of case).
    /// Unique indexes decide, so two racing sign-ups for one name cannot both win.
    func insert(username: String, email: String, passwordHash: String, isAdmin: Bool, at date: Date) async throws -> User?
    func usernameExists(_ username: String) async throws -> Bool
    func emailExists(_ email: String) async throws -> Bool
    /// The user of that username (regardless of case) with their password hash.
    func credentials(username: String) async throws -> (user: User, passwordHash: String)?
    /// Users by id, optionally only those whose username or e-mail contains `search` (regardless of case).
    func list(search: String?, limit: Int, offset: Int) async throws -> [User]
    func find(id: Int) async throws -> User?
    func passwordHash(userID: Int) async throws -> String?
    func setPasswordHash(_ hash: String, userID: Int) async throws
    /// Inside a transaction: locks every active admin until it ends and returns their ids, so two admins
    /// demoting each other at once cannot both succeed.
    func lockActiveAdmins() async throws -> [Int]
    /// Sets the given flags; nil when the user does not exist.
    func setFlags(userID: Int, isAdmin: Bool?, isActive: Bool?) async throws -> User?
    /// The kinds of e-mail the user turned off, with the user's row locked for the rest of the transaction;
    /// nil if there is no such user.
    func lockMailOff(userID: Int) async throws -> Set<NotificationKind>?
    /// Sets the kinds of e-mail the user turned off (inside the transaction that locked them); nil if there is no such user.
    func setMailOff(userID: Int, _ kinds: Set<NotificationKind>) async throws -> User?
    func anyAdminExists() async throws -> Bool
}
