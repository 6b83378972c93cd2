import BookingDomain
import Vapor

/// Reads `Authorization: Token <t>` (the Django REST convention) or `Bearer <t>`, first of what an API
/// route checks (``RouteGate``).
///
/// No header: the request goes on anonymously. A header that is presented but not a valid token is a
/// 401 on every API path, even where no token is needed, so a client never mistakes a dead session for a
/// live one.
struct TokenAuth: Sendable {
    let sessions: SessionService

    /// Makes the token's user the request's ``Request/principal``.
    func authenticate(_ request: Request) async throws {
        guard let header = request.headers.first(name: .authorization) else { return }
        guard let token = Self.token(from: header), let principal = try await sessions.authenticate(token: token) else {
            throw AppError.invalidToken
        }
        request.principal = principal
    }

    static func token(from header: String) -> String? {
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, ["token", "bearer"].contains(parts[0].lowercased()) else { return nil }
        let token = trimmed(parts[1])
        // Our tokens are 43 URL-safe characters; anything far off is not worth a database round trip.
        guard (16...256).contains(token.utf8.count) else { return nil }
        return String(token)
    }

    /// `text` without the blanks at either end that `CharacterSet.whitespaces` names (tab and the space
    /// separators), trimmed here without a trip through `NSString` on every request.
    static func trimmed(_ text: Substring) -> Substring {
        func blank(_ scalar: Unicode.Scalar) -> Bool { scalar == "\t" || scalar.properties.generalCategory == .spaceSeparator }
        let scalars = text.unicodeScalars
        guard let first = scalars.firstIndex(where: { !blank($0) }), let last = scalars.lastIndex(where: { !blank($0) }) else { return "" }
        return Substring(scalars[first...last])
    }
}

extension Request {
    private struct PrincipalKey: StorageKey { typealias Value = Principal }

    /// Who made the request, when a valid token came with it.
    var principal: Principal? {
        get { storage[PrincipalKey.self] }
        set { storage[PrincipalKey.self] = newValue }
    }
}
