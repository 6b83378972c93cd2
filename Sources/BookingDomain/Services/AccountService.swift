import Foundation
import Logging

/// Sign-up, listing users, passwords and admin rights, and the bootstrap admin.
public struct AccountService: Sendable {
    let storage: any Storage
    let passwords: any PasswordHashing
    let clock: any WallClock
    /// Anonymous sign-ups allowed per client address per hour; 0 for no limit.
    let signupsPerHour: Int
    public static let signupWindow = ThrottleWindow(length: 3600)

    public init(storage: any Storage, passwords: any PasswordHashing, clock: any WallClock, signupsPerHour: Int) {
        self.storage = storage
        self.passwords = passwords
        self.clock = clock
        self.signupsPerHour = signupsPerHour
    }

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
            let now = clock.now(), window = Self.signupWindow
            let recent = try await storage.signupAttempts.record(address: address, at: now, windowStart: window.start(at: now))
            if recent.count > signupsPerHour {
                // Refused, it cost nothing and does not count: a client that waits its Retry-After gets in.
                try await storage.signupAttempts.forget(attemptID: recent.attemptID)
                throw AppError.tooManySignups(retryAfter: window.retryAfter(oldest: recent.oldest, now: now))
            }
        }
        return try await create(registration, by: caller.map { .user($0.id) })
    }

    /// An operator's password reset (`booking set-password`): every token of the user is revoked.
    public func resetPassword(username: String, to password: String) async throws -> User {
        let password = try Validate.password(password)
        guard let account = try await storage.users.credentials(username: username) else {
            throw AppError.userNotFound
        }
        let hash = try await passwords.hash(password)
        let userID = account.user.id, now = clock.now()
        try await storage.transaction { tx in
            try await tx.users.setPasswordHash(hash, userID: userID)
            try await tx.tokens.deleteAll(userID: userID, keeping: nil)
            try await tx.events.append(Self.passwordChanged(userID, at: now, by: .system))
        }
        return account.user
    }

    /// Creates a user exactly as described, admin or not: for sign-up above and for operators' commands.
    /// `actor` made the change (nil: the new user, signing up; operators' commands are the system).
    public func create(_ registration: Registration, by actor: EventActor?) async throws -> User {
        let username = try Validate.username(registration.username)
        let email = try Validate.email(registration.email)
        let password = try Validate.password(registration.password)
        let confirmation = try Validate.required(registration.confirmPassword, field: "confirm_password")
        guard password == confirmation else { throw AppError.passwordMismatch }

        // Cheap checks first so a taken name costs no Bcrypt; the insert below settles any race.
        try await ensureAvailable(username: username, email: email)
        let hash = try await passwords.hash(password)
        if let user = try await insert(username: username, email: email, passwordHash: hash, isAdmin: registration.isAdmin, by: actor) {
            return user
        }
        try await ensureAvailable(username: username, email: email)
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
            guard search.unicodeScalars.count <= Validate.emailMaxLength else {
                throw AppError.invalidField(field: "search", reason: "search must be at most 254 characters")
            }
        }
        return try await storage.users.list(search: search, limit: limit, offset: offset)
    }

    /// One user: an admin may read anyone, anyone else only themself; another id is "not found", so ids
    /// reveal nothing about who exists.
    public func user(id: Int, visibleTo viewer: User) async throws -> User {
        guard viewer.mayAccess(ownerID: id), let user = try await storage.users.find(id: id) else {
            throw AppError.userNotFound
        }
        return user
    }

    /// Turns kinds of e-mail on (true) or off (false) for `user`, by name (``NotificationKind``); the others
    /// stay as they are. `security` cannot be turned off.
    ///
    /// - Throws: ``AppError/invalidField(field:reason:)`` for an unknown kind or `security: false`.
    public func setNotifications(of user: User, _ changes: [String: Bool]) async throws -> User {
        var kinds: [NotificationKind: Bool] = [:]
        for (name, on) in changes.sorted(by: { $0.key < $1.key }) {
            guard let kind = NotificationKind(rawValue: name) else {
                throw AppError.invalidField(field: "notifications.\(name)", reason: "The kinds of e-mail are "
                    + NotificationKind.allCases.map(\.rawValue).joined(separator: ", ") + ".")
            }
            if kind == .security, !on {
                throw AppError.invalidField(field: "notifications.security", reason: "Security notices cannot be turned off.")
            }
            kinds[kind] = on
        }
        guard let updated = try await MailPreferences.change(userID: user.id, kinds, in: storage, at: clock.now(), by: .user(user.id)) else {
            throw AppError.userNotFound
        }
        return updated
    }

    /// Changes the caller's password after checking the current one, and revokes every other session.
    /// Checking the current password is a guess at it, so it is limited as logins are (``PasswordGuesses``,
    /// the same counts): a stolen token gives no more guesses than the login form.
    public func changePassword(of principal: Principal, current: String?, new: String?, confirmation: String?,
                               from address: String) async throws {
        let now = clock.now()
        let current = try Validate.required(current, field: "old_password")
        let new = try Validate.password(new, field: "new_password")
        if let confirmation, confirmation != new { throw AppError.passwordMismatch }
        let userID = principal.user.id
        let right = try await PasswordGuesses(storage: storage, clock: clock).check(usernameKey: principal.user.username.uniquenessKey, address: address) { usual in
            guard let hash = try await storage.users.passwordHash(userID: userID) else { return false }
            return try await passwords.verify(current, against: hash, first: usual)
        }
        guard right else {
            throw AppError.invalidField(field: "old_password", reason: "old_password is not the current password")
        }
        let newHash = try await passwords.hash(new)
        let kept = principal.tokenHash
        try await storage.transaction { tx in
            try await tx.users.setPasswordHash(newHash, userID: userID)
            try await tx.tokens.deleteAll(userID: userID, keeping: kept)
            try await tx.events.append(Self.passwordChanged(userID, at: now, by: .user(userID)))
        }
    }

    /// An admin grants or revokes admin rights and (de)activates accounts. Deactivating revokes the user's
    /// tokens; no change may leave the service without an active admin.
    public func setFlags(userID: Int, isAdmin: Bool?, isActive: Bool?, by actor: EventActor) async throws -> User {
        let now = clock.now()
        return try await storage.transaction { tx in
            let activeAdmins = try await tx.users.lockActiveAdmins()
            guard let target = try await tx.users.find(id: userID) else { throw AppError.userNotFound }
            let staysActiveAdmin = (isAdmin ?? target.isAdmin) && (isActive ?? target.isActive)
            if activeAdmins == [target.id], !staysActiveAdmin { throw AppError.lastActiveAdmin }
            guard let updated = try await tx.users.setFlags(userID: userID, isAdmin: isAdmin, isActive: isActive) else {
                throw AppError.userNotFound
            }
            if !updated.isActive { try await tx.tokens.deleteAll(userID: userID, keeping: nil) }
            var changed: [String] = [], details: [String: EventValue] = [:]
            if let isAdmin { changed.append("is_admin"); details["is_admin"] = .bool(isAdmin) }
            if let isActive { changed.append("is_active"); details["is_active"] = .bool(isActive) }
            details["changed"] = .strings(changed)
            try await tx.events.append(NewEvent(.userUpdated, at: now, by: actor, subject: EventSubject(userID: userID), details: details))
            return updated
        }
    }

    /// Creates the configured admin when no admin exists yet, and warns while the default password works.
    public func bootstrapAdmin(username: String, password: String, defaultPassword: String, logger: Logger) async throws {
        let users = storage.users
        if try await !users.anyAdminExists() {
            let hash = try await passwords.hash(password)
            let email = "\(username.uniquenessKey)@localhost.localdomain"
            if try await insert(username: username, email: email, passwordHash: hash, isAdmin: true, by: .system) != nil {
                logger.notice("Created the admin user", metadata: ["username": .string(username)])
            } else if try await !users.anyAdminExists() {
                // A non-admin already holds that name; promoting it silently would hand over the service.
                logger.error("No admin exists and ADMIN_USERNAME is taken by a regular user; set another ADMIN_USERNAME",
                             metadata: ["username": .string(username)])
            }
        }
        if let admin = try await users.credentials(username: username), admin.user.isAdmin,
           try await passwords.verify(defaultPassword, against: admin.passwordHash) {
            logger.warning("The admin user still has the default password; set ADMIN_PASSWORD or change it",
                           metadata: ["username": .string(username)])
        }
    }

    /// Inserts a user and its `user.created` event in one transaction; nil when the name or e-mail is taken.
    private func insert(username: String, email: String, passwordHash: String, isAdmin: Bool, by actor: EventActor?) async throws -> User? {
        let now = clock.now()
        return try await storage.transaction { tx in
            guard let user = try await tx.users.insert(username: username, email: email, passwordHash: passwordHash, isAdmin: isAdmin, at: now) else {
                return nil
            }
            try await tx.events.append(NewEvent(.userCreated, at: now, by: actor ?? .user(user.id), subject: EventSubject(userID: user.id),
                                                details: ["is_admin": .bool(user.isAdmin), "is_active": .bool(user.isActive)]))
            return user
        }
    }

    /// A password changed: the event says so and nothing more.
    private static func passwordChanged(_ userID: Int, at now: Date, by actor: EventActor) -> NewEvent {
        NewEvent(.userUpdated, at: now, by: actor, subject: EventSubject(userID: userID), details: ["changed": .strings(["password"])])
    }

    private func ensureAvailable(username: String, email: String) async throws {
        if try await storage.users.usernameExists(username) { throw AppError.usernameTaken }
        if try await storage.users.emailExists(email) { throw AppError.emailTaken }
    }
}
