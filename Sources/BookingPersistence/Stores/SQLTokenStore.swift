import AsyncPrimitives
import BookingDomain
import Foundation
import SQLKit

/// Token look-ups that arrive while one is in flight share the next one: one query for all their tokens.
/// A request never gets an answer older than itself (the look-up it joins starts after it arrived), so a
/// logout or deactivation committed before a request arrives is seen by it, as with a look-up of its own.
/// Four lanes (by token), so a slow look-up holds back only a quarter of the others.
final class TokenLookups: Sendable {
    struct Lookup: Sendable {
        let tokenHash: String
        let kind: Session.Kind
        let now: Date
        let session: SQLSession
    }

    let queue: BatchQueue<Int, Lookup, User?>

    init(maxBatch: Int) {
        queue = BatchQueue(maxBatch: maxBatch) { _, lookups in await SQLTokenStore.lookUp(lookups) }
    }

    func user(forTokenHash tokenHash: String, kind: Session.Kind, at now: Date, session: SQLSession) async throws -> User? {
        let lane = Int(tokenHash.utf8.last ?? 0) % 4
        return try await queue.submit(Lookup(tokenHash: tokenHash, kind: kind, now: now, session: session), for: lane)
    }
}

struct SQLTokenStore: TokenStore {
    let session: SQLSession
    /// On the pool, look-ups are shared (``TokenLookups``); nil in a transaction.
    var lookups: TokenLookups? = nil

    func insert(tokenHash: String, kind: Session.Kind, userID: Int, createdAt: Date, expiresAt: Date) async throws {
        try await session.write { sql in
            try await sql.raw("""
                INSERT INTO access_tokens (token_hash, kind, user_id, created_at, expires_at)
                VALUES (\(bind: tokenHash), \(bind: kind.rawValue), \(bind: userID), \(bind: createdAt), \(bind: expiresAt))
                """).run()
        }
    }

    /// One indexed lookup, shared with the look-ups that arrive while one is in flight.
    func user(forTokenHash tokenHash: String, kind: Session.Kind, at now: Date) async throws -> User? {
        if let lookups { return try await lookups.user(forTokenHash: tokenHash, kind: kind, at: now, session: session) }
        return try await Self.lookUp([TokenLookups.Lookup(tokenHash: tokenHash, kind: kind, now: now, session: session)])[0].get()
    }

    /// The users behind `lookups`' tokens, in one query: a token of another kind, expired at the look-up's
    /// `now`, or of a deactivated user is nobody's.
    static func lookUp(_ lookups: [TokenLookups.Lookup]) async -> [Result<User?, any Error>] {
        guard let session = lookups.first?.session else { return [] }
        do {
            let hashes = Set(lookups.map(\.tokenHash)).sorted().map { "\(bind: $0)" as SQLQueryString }
            let rows = try await session.sql.raw("""
                SELECT t.token_hash, t.kind, t.expires_at, \(User.columns(of: "u")) FROM access_tokens t JOIN users u ON u.id = t.user_id
                WHERE t.token_hash IN (\(hashes.joined(separator: ", "))) AND u.is_active = \(bind: true)
                """).all()
            var found: [String: (kind: String, expiresAt: Date, user: User)] = [:]
            for row in rows {
                found[try row.decode(column: "token_hash", as: String.self)] = (
                    try row.decode(column: "kind", as: String.self), try row.decode(column: "expires_at", as: Date.self), try User(row: row))
            }
            return lookups.map { lookup in
                guard let token = found[lookup.tokenHash], token.kind == lookup.kind.rawValue, token.expiresAt > lookup.now else {
                    return .success(nil)
                }
                return .success(token.user)
            }
        } catch {
            return lookups.map { _ in .failure(error) }
        }
    }

    func delete(tokenHash: String) async throws {
        try await session.write { sql in
            try await sql.raw("DELETE FROM access_tokens WHERE token_hash = \(bind: tokenHash)").run()
        }
    }

    func deleteAll(userID: Int, keeping kept: String?) async throws {
        try await session.write { sql in
            try await sql.raw("""
                DELETE FROM access_tokens WHERE user_id = \(bind: userID) AND token_hash <> \(bind: kept ?? "")
                """).run()
        }
    }

    func deleteExpired(at now: Date, limit: Int) async throws -> Int {
        try await session.deleteBatch(from: "access_tokens", key: ["token_hash"], where: "expires_at <= \(bind: now)", limit: limit)
    }
}
