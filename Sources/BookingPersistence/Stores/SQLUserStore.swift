import BookingDomain
import Foundation
import SQLKit

struct SQLUserStore: UserStore {
    let session: SQLSession
    private var sql: any SQLDatabase { session.sql }

    func insert(username: String, email: String, passwordHash: String, isAdmin: Bool, at date: Date) async throws -> User? {
        try await session.write { sql in
            try await sql.raw("""
                INSERT INTO users (username, username_key, email, email_key, password_hash, is_admin, created_at)
                VALUES (\(bind: username), \(bind: username.uniquenessKey), \(bind: email), \(bind: email.uniquenessKey),
                        \(bind: passwordHash), \(bind: isAdmin), \(bind: date))
                ON CONFLICT DO NOTHING
                RETURNING \(User.columns())
                """).first().map(User.init(row:))
        }
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

    func list(search: String?, limit: Int, offset: Int) async throws -> [User] {
        var condition: SQLQueryString = ""
        if let search, !search.isEmpty {
            let pattern = "%" + Self.escapeLike(search.uniquenessKey) + "%"
            condition = " WHERE username_key LIKE \(bind: pattern) ESCAPE '\\' OR email_key LIKE \(bind: pattern) ESCAPE '\\'"
        }
        return try await sql.raw("""
            SELECT \(User.columns()) FROM users\(condition) ORDER BY id LIMIT \(bind: limit) OFFSET \(bind: offset)
            """).all().map(User.init(row:))
    }

    private static func escapeLike(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\")
            .replacingOccurrences(of: "%", with: "\\%")
            .replacingOccurrences(of: "_", with: "\\_")
    }

    func find(id: Int) async throws -> User? {
        try await sql.raw("SELECT \(User.columns()) FROM users WHERE id = \(bind: id)").first().map(User.init(row:))
    }

    func passwordHash(userID: Int) async throws -> String? {
        try await sql.raw("SELECT password_hash FROM users WHERE id = \(bind: userID)").first()?
            .decode(column: "password_hash", as: String.self)
    }

    func setPasswordHash(_ hash: String, userID: Int) async throws {
        try await session.write { sql in
            try await sql.raw("UPDATE users SET password_hash = \(bind: hash) WHERE id = \(bind: userID)").run()
        }
    }

    func lockActiveAdmins() async throws -> [Int] {
        try await sql.raw("""
            SELECT id FROM users WHERE is_admin = \(bind: true) AND is_active = \(bind: true)\(session.lockRows)
            """).all().map { try $0.decode(column: "id", as: Int.self) }
    }

    func setFlags(userID: Int, isAdmin: Bool?, isActive: Bool?) async throws -> User? {
        var assignments: [SQLQueryString] = []
        if let isAdmin { assignments.append("is_admin = \(bind: isAdmin)") }
        if let isActive { assignments.append("is_active = \(bind: isActive)") }
        guard !assignments.isEmpty else { return try await find(id: userID) }
        return try await session.write { sql in
            try await sql.raw("""
                UPDATE users SET \(assignments.joined(separator: ", ")) WHERE id = \(bind: userID) RETURNING \(User.columns())
                """).first().map(User.init(row:))
        }
    }

    func lockMailOff(userID: Int) async throws -> Set<NotificationKind>? {
        try await sql.raw("SELECT \(User.columns()) FROM users WHERE id = \(bind: userID)\(session.lockRows)").first().map { try User(row: $0).mailOff }
    }

    func setMailOff(userID: Int, _ kinds: Set<NotificationKind>) async throws -> User? {
        let text = NotificationKind.allCases.filter(kinds.contains).map(\.rawValue).joined(separator: ",")
        return try await session.write { sql in
            try await sql.raw("UPDATE users SET mail_off = \(bind: text) WHERE id = \(bind: userID) RETURNING \(User.columns())")
                .first().map(User.init(row:))
        }
    }

    func anyAdminExists() async throws -> Bool {
        try await sql.raw("SELECT 1 AS found FROM users WHERE is_admin = \(bind: true) LIMIT 1").first() != nil
    }
}
