import Foundation
import Logging

/// Sign-up, listing users, and the bootstrap admin.
public struct AccountService: Sendable {
    let database: DatabaseHandle
    let passwords: any PasswordHashing
    /// Anonymous sign-ups allowed per client address per hour; 0 for no limit.
    let signupsPerHour: Int
    static let signupWindow: TimeInterval = 3600

    public struct Registration: Sendable {
        public var username: String?
        public var email: String?
        public var password: String?
        public var confirmPassword: String?
        public var isAdmin: Bool

        public init(username: String?, email: String?, password: String?, confirmPassword: String?, isAdmin: Bool) {
            self.username = username
            self.email = email
            self.password = password
            self.confirmPassword = confirmPassword
            self.isAdmin = isAdmin
        }
    }

    /// Creates a user. Only an admin may create another admin; from anyone else `isAdmin` is ignored.
    ///
    /// Each sign-up costs a Bcrypt hash, so one not made by an admin is first recorded against the
    /// client's address and refused (429) once the address has made `signupsPerHour` within the hour.
    /// Recording before counting means concurrent attempts can never let more than the limit through.
    public func register(_ registration: Registration, by caller: User?, from address: String) async throws -> User {
        var registration = registration
        let byAdmin = caller?.isAdmin == true
        registration.isAdmin = registration.isAdmin && byAdmin
        if !byAdmin, signupsPerHour > 0 {
            let now = Date(), windowStart = now.addingTimeInterval(-Self.signupWindow)
            let recent = try await database.write { sql in
                try await SignupAttemptStore(sql: sql).record(address: address, at: now, windowStart: windowStart)
            }
            if recent.count > signupsPerHour {
                let reopens = (recent.oldest ?? now).addingTimeInterval(Self.signupWindow)
                throw AppError.tooManySignups(retryAfter: max(1, Int(reopens.timeIntervalSince(now).rounded(.up))))
            }
        }
        return try await create(registration)
    }

    /// An operator's password reset (`booking set-password`): every token of the user is revoked.
    public func resetPassword(username: String, to password: String) async throws -> User {
        let password = try Validate.password(password)
        guard let account = try await UserStore(sql: database.sql).credentials(username: username) else {
            throw AppError.userNotFound
        }
        let hash = try await passwords.hash(password)
        let userID = account.user.id
        try await database.transaction { sql in
            try await UserStore(sql: sql).setPasswordHash(hash, userID: userID)
            try await TokenStore(sql: sql).deleteAll(userID: userID)
        }
        return account.user
    }

    /// Creates a user exactly as described, admin or not: for sign-up above and for operators' commands.
    public func create(_ registration: Registration) async throws -> User {
        let username = try Validate.username(registration.username)
        let email = try Validate.email(registration.email)
        let password = try Validate.password(registration.password)
        let confirmation = try Validate.required(registration.confirmPassword, field: "confirm_password")
        guard password == confirmation else { throw AppError.passwordMismatch }

        let store = UserStore(sql: database.sql)
        // Cheap checks first so a taken name costs no Bcrypt; the insert below settles any race.
        try await ensureAvailable(username: username, email: email, in: store)
        let hash = try await passwords.hash(password)
        let isAdmin = registration.isAdmin
        let inserted = try await database.write { sql in
            try await UserStore(sql: sql).insert(username: username, email: email, passwordHash: hash, isAdmin: isAdmin, at: Date())
        }
        if let user = inserted {
            return user
        }
        try await ensureAvailable(username: username, email: email, in: store)
        throw AppError.usernameTaken
    }

    /// An admin sees every user (optionally filtered by `search` on username or e-mail, a page at a time);
    /// anyone else a list holding only themself.
    public func users(visibleTo viewer: User, search: String? = nil, limit: Int = Paging.defaultSize,
                      offset: Int = 0) async throws -> [User] {
        guard viewer.isAdmin else { return [viewer] }
        try Validate.page(limit: limit, offset: offset)
        if let search {
            try Validate.noControlCharacters(search, field: "search")
            guard search.count <= Validate.emailMaxLength else {
                throw AppError.invalidField(field: "search", reason: "search must be at most 254 characters")
            }
        }
        return try await UserStore(sql: database.sql).list(search: search, limit: limit, offset: offset)
    }

    /// One user: an admin may read anyone, anyone else only themself; another id is "not found", so ids
    /// reveal nothing about who exists.
    public func user(id: Int, visibleTo viewer: User) async throws -> User {
        guard viewer.isAdmin || viewer.id == id, let user = try await UserStore(sql: database.sql).find(id: id) else {
            throw AppError.userNotFound
        }
        return user
    }

    /// Changes the caller's password after checking the current one, and revokes every other session.
    public func changePassword(of principal: Principal, current: String?, new: String?, confirmation: String?) async throws {
        let current = try Validate.required(current, field: "old_password")
        let new = try Validate.password(new, field: "new_password")
        if let confirmation, confirmation != new { throw AppError.passwordMismatch }
        let userID = principal.user.id
        guard let hash = try await UserStore(sql: database.sql).passwordHash(userID: userID),
              try await passwords.verify(current, against: hash)
        else {
            throw AppError.invalidField(field: "old_password", reason: "old_password is not the current password")
        }
        let newHash = try await passwords.hash(new)
        let kept = principal.tokenHash
        try await database.transaction { sql in
            try await UserStore(sql: sql).setPasswordHash(newHash, userID: userID)
            try await TokenStore(sql: sql).deleteAll(userID: userID, keeping: kept)
        }
    }

    /// An admin grants or revokes admin rights and (de)activates accounts. Deactivating revokes the user's
    /// tokens; no change may leave the service without an active admin.
    public func setFlags(userID: Int, isAdmin: Bool?, isActive: Bool?) async throws -> User {
        try await database.transaction { sql in
            let users = UserStore(sql: sql)
            let activeAdmins = try await users.lockActiveAdmins()
            guard let target = try await users.find(id: userID) else { throw AppError.userNotFound }
            let staysActiveAdmin = (isAdmin ?? target.isAdmin) && (isActive ?? target.isActive)
            if activeAdmins == [target.id], !staysActiveAdmin { throw AppError.lastActiveAdmin }
            guard let updated = try await users.setFlags(userID: userID, isAdmin: isAdmin, isActive: isActive) else {
                throw AppError.userNotFound
            }
            if !updated.isActive { try await TokenStore(sql: sql).deleteAll(userID: userID) }
            return updated
        }
    }

    /// Creates the configured admin when no admin exists yet, and warns while the default password works.
    public func bootstrapAdmin(username: String, password: String, logger: Logger) async throws {
        let store = UserStore(sql: database.sql)
        if try await !store.anyAdminExists() {
            let hash = try await passwords.hash(password)
            let email = "\(username.uniquenessKey)@localhost.localdomain"
            let created = try await database.write { sql in
                try await UserStore(sql: sql).insert(username: username, email: email, passwordHash: hash, isAdmin: true, at: Date())
            }
            if created != nil {
                logger.notice("Created the admin user", metadata: ["username": .string(username)])
            } else if try await !store.anyAdminExists() {
                // A non-admin already holds that name; promoting it silently would hand over the service.
                logger.error("No admin exists and ADMIN_USERNAME is taken by a regular user; set another ADMIN_USERNAME",
                             metadata: ["username": .string(username)])
            }
        }
        if let admin = try await store.credentials(username: username), admin.user.isAdmin,
           try await passwords.verify(AppConfig.defaultAdminPassword, against: admin.passwordHash) {
            logger.warning("The admin user still has the default password; set ADMIN_PASSWORD or change it",
                           metadata: ["username": .string(username)])
        }
    }

    private func ensureAvailable(username: String, email: String, in store: UserStore) async throws {
        if try await store.usernameExists(username) { throw AppError.usernameTaken }
        if try await store.emailExists(email) { throw AppError.emailTaken }
    }
}
