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
    let createdAt: String

    enum CodingKeys: String, CodingKey {
        case id, username, email
        case isAdmin = "is_admin"
        case createdAt = "created_at"
    }

    init(_ user: User) {
        id = user.id
        username = user.username
        email = user.email
        isAdmin = user.isAdmin
        createdAt = user.createdAt.wireFormat
    }
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

    init(_ session: Session) {
        token = session.token
        expiresAt = session.expiresAt.wireFormat
        user = UserResponse(session.user)
    }
}
