import Foundation

/// A person who can log in. The password hash never leaves the persistence layer inside this type.
public struct User: Sendable, Equatable {
    public let id: Int
    public let username: String
    public let email: String
    public let isAdmin: Bool
    /// A deactivated user cannot log in, and their tokens stop working at once.
    public let isActive: Bool
    public let createdAt: Date
    /// The kinds of e-mail the user turned off (never `security`).
    public let mailOff: Set<NotificationKind>

    public init(id: Int, username: String, email: String, isAdmin: Bool, isActive: Bool, createdAt: Date, mailOff: Set<NotificationKind> = []) {
        self.id = id
        self.mailOff = mailOff
        self.username = username
        self.email = email
        self.isAdmin = isAdmin
        self.isActive = isActive
        self.createdAt = createdAt
    }
}

extension User {
    /// Whose bookings and holds this user may see and act on: their own (their id), or, for an admin,
    /// everyone's (nil). Someone else's record is "not found", so ids reveal nothing.
    public var ownerScope: Int? { isAdmin ? nil : id }

    /// Whether a record owned by `ownerID` is within ``ownerScope``.
    public func mayAccess(ownerID: Int) -> Bool {
        ownerScope.map { $0 == ownerID } ?? true
    }
}
