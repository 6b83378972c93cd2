import Foundation

/// A person who can log in. The password hash never leaves the persistence layer inside this type.
public struct User: Sendable, Equatable {
    public let id: Int
    public let username: String
    public let email: String
    public let isAdmin: Bool
    public let createdAt: Date
}
