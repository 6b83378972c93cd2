import BookingDomain
import Vapor

/// `booking create-user USERNAME --email E [--admin]`; the password is read from a prompt or stdin.
struct CreateUserCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Argument(name: "username", help: "The new user's username.")
        var username: String

        @Option(name: "email", help: "The new user's e-mail address.")
        var email: String?

        @Flag(name: "admin", help: "Make the user an admin.")
        var admin: Bool
    }

    var help: String { "Creates a user (the password is read from a prompt, or from stdin when piped)." }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        try await prepare(app)
        let password = readPassword(context, prompt: "Password for \(signature.username): ")
        let user = try await app.domain.accounts.create(.init(
            username: signature.username, email: signature.email, password: password,
            confirmPassword: password, isAdmin: signature.admin), by: .system)
        context.console.print("Created \(user.isAdmin ? "admin" : "user") \(user.username) (id \(user.id)).")
    }
}

/// `booking set-password USERNAME`; the password is read from a prompt or stdin, never from the command line.
struct SetPasswordCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Argument(name: "username", help: "Whose password to set.")
        var username: String
    }

    var help: String { "Sets a user's password and revokes their tokens (read from a prompt, or from stdin when piped)." }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        try await prepare(app)
        let password = readPassword(context, prompt: "New password for \(signature.username): ")
        let user = try await app.domain.accounts.resetPassword(username: signature.username, to: password)
        context.console.print("Password set for \(user.username); their sessions were revoked.")
    }
}

/// From the terminal without echo, or the first line of stdin when it is not a terminal.
private func readPassword(_ context: CommandContext, prompt: String) -> String {
    if isatty(STDIN_FILENO) != 0 {
        return context.console.ask(prompt.consoleText(), isSecure: true)
    }
    return readLine(strippingNewline: true) ?? ""
}
