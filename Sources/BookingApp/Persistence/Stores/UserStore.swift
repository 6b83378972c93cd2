import Foundation
import SQLKit

/// Users and their password hashes.
struct UserStore {
    let sql: any SQLDatabase

    /// Inserts a user, or returns nil when the username or e-mail is already taken (case-insensitively).
    /// The unique indexes decide, so two racing sign-ups for one name cannot both win.
    func insert(username: String, email: String, passwordHash: String, isAdmin: Bool, at date: Date) async throws -> User? {
        try await sql.raw("""
            INSERT INTO users (username, username_key, email, email_key, password_hash, is_admin, created_at)
            VALUES (\(bind: username), \(bind: username.uniquenessKey), \(bind: email), \(bind: email.uniquenessKey),
                    \(bind: passwordHash), \(bind: isAdmin), \(bind: date))
            ON CONFLICT DO NOTHING
            RETURNING \(User.columns())
            """).first().map(User.init(row:))
    }

    func usernameExists(_ username: String) async throws -> Bool {
        try await sql.raw("SELECT 1 AS found FROM users WHERE username_key = \(bind: username.uniquenessKey)").first() != nil
    }

    func emailExists(_ email: String) async throws -> Bool {
        try await sql.raw("SELECT 1 AS found FROM users WHERE email_key = \(bind: email.uniquenessKey)").first() != nil
    }

    func credentials(username: String) async throws -> (user: User, passwordHash: String)? {
        guard let row = try await sql.raw("""
            SELECT \(User.columns()), password_hash FROM users WHERE username_key = \(bind: username.uniquenessKey)
            """).first()
        else { return nil }
        return (try User(row: row), try row.decode(column: "password_hash", as: String.self))
    }

    func all() async throws -> [User] {
        try await sql.raw("SELECT \(User.columns()) FROM users ORDER BY id").all().map(User.init(row:))
    }

    func find(id: Int) async throws -> User? {
        try await sql.raw("SELECT \(User.columns()) FROM users WHERE id = \(bind: id)").first().map(User.init(row:))
    }

    func anyAdminExists() async throws -> Bool {
        try await sql.raw("SELECT 1 AS found FROM users WHERE is_admin = \(bind: true) LIMIT 1").first() != nil
    }
}
