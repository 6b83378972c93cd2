import Foundation

/// Which kinds of e-mail a user gets (``User/mailOff``). Changed only here, from the account (`PATCH
/// /users/me/`, the account page) or a message's unsubscribe link, each change applied to the kinds as
/// they are under the user's row lock: two changes at once, on any servers, both hold.
enum MailPreferences {
    /// Turns each kind of `changes` on (true) or off (false) for `userID`; `security` stays on. Writes
    /// `user.updated` when something changed. Nil if there is no such user.
    static func change(userID: Int, _ changes: [NotificationKind: Bool], in storage: any Storage, at now: Date,
                       by actor: EventActor) async throws -> User? {
        try await storage.transaction { tx in
            guard let current = try await tx.users.lockMailOff(userID: userID) else { return nil }
            var off = current
            for (kind, on) in changes where kind != .security {
                if on { off.remove(kind) } else { off.insert(kind) }
            }
            guard off != current else { return try await tx.users.find(id: userID) }
            let updated = try await tx.users.setMailOff(userID: userID, off)
            try await tx.events.append(NewEvent(.userUpdated, at: now, by: actor, subject: EventSubject(userID: userID), details: [
                "changed": .strings(["notifications"]),
                "notifications_off": .strings(NotificationKind.allCases.filter(off.contains).map(\.rawValue)),
            ]))
            return updated
        }
    }
}
