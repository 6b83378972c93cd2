import BookingDomain
import Vapor

struct SignUpRequest: Decodable {
    var username: String?
    var emailAddress: String?
    /// Accepted as an alias of `email_address`.
    var email: String?
    var password: String?
    var confirmPassword: String?
    var isAdmin: Bool?

    enum CodingKeys: String, CodingKey {
        case username, email, password
        case emailAddress = "email_address"
        case confirmPassword = "confirm_password"
        case isAdmin = "is_admin"
    }

    var registration: AccountService.Registration {
        .init(username: username, email: emailAddress ?? email, password: password,
              confirmPassword: confirmPassword, isAdmin: isAdmin ?? false)
    }
}

struct UserResponse: Content {
    let id: Int
    let username: String
    let email: String
    let isAdmin: Bool
    let isActive: Bool
    let createdAt: String
    /// Each kind of e-mail, on or off.
    let notifications: [String: Bool]

    enum CodingKeys: String, CodingKey {
        case id, username, email, notifications
        case isAdmin = "is_admin"
        case isActive = "is_active"
        case createdAt = "created_at"
    }

    init(_ user: User) {
        id = user.id
        username = user.username
        email = user.email
        isAdmin = user.isAdmin
        isActive = user.isActive
        createdAt = user.createdAt.wireFormat
        notifications = Dictionary(uniqueKeysWithValues: NotificationKind.allCases.map { ($0.rawValue, !user.mailOff.contains($0)) })
    }
}

/// `PATCH /users/me/`: `{"notifications": {"booking": false}}`.
struct UserPreferencesRequest: Decodable {
    var notifications: [String: Bool]?
}

struct LoginRequest: Decodable {
    var username: String?
    var password: String?
}

struct LoginResponse: Content {
    let token: String
    let expiresAt: String
    let user: UserResponse

    enum CodingKeys: String, CodingKey {
        case token, user
        case expiresAt = "expires_at"
    }

    init(_ session: BookingDomain.Session) {
        token = session.token
        expiresAt = session.expiresAt.wireFormat
        user = UserResponse(session.user)
    }
}

struct PasswordChangeRequest: Decodable {
    var oldPassword: String?
    var newPassword: String?
    var confirmPassword: String?

    enum CodingKeys: String, CodingKey {
        case oldPassword = "old_password"
        case newPassword = "new_password"
        case confirmPassword = "confirm_password"
    }
}

struct UserFlagsRequest: Decodable {
    var isAdmin: Bool?
    var isActive: Bool?

    enum CodingKeys: String, CodingKey {
        case isAdmin = "is_admin"
        case isActive = "is_active"
    }
}
