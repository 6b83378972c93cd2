import Foundation

/// The rules every field must satisfy before anything reaches the database.
///
/// Each failure is an ``AppError/invalidField(field:reason:)`` naming the field, so a client learns
/// exactly what to fix. Lengths count Unicode code points, as JSON Schema's `minLength` and `maxLength`
/// do, so the OpenAPI document states each rule exactly.
public enum Validate {
    public static let usernameLength = 3...150
    public static let emailMaxLength = 254
    /// Bcrypt reads only the first 72 bytes of a password; longer ones are refused rather than truncated.
    public static let passwordBytes = 8...72
    public static let resourceNameLength = 1...200
    public static let descriptionMaxLength = 10_000
    /// Quantities fit a 32-bit signed integer, the widest value every client language handles exactly.
    public static let quantityRange = 0...Int(Int32.max)
    static let usernameSymbols: Set<Character> = [".", "@", "+", "-", "_"]

    public static func required(_ value: String?, field: String) throws(AppError) -> String {
        guard let value, !value.isEmpty else {
            throw .invalidField(field: field, reason: "\(field) is required")
        }
        try noControlCharacters(value, field: field)
        return value
    }

    public static func username(_ value: String?) throws(AppError) -> String {
        let username = try required(value, field: "username")
        let allowed = username.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || usernameSymbols.contains($0)) }
        guard usernameLength.contains(username.unicodeScalars.count), allowed else {
            throw .invalidField(
                field: "username",
                reason: "username must be 3 to 150 characters of ASCII letters, digits and . @ + - _"
            )
        }
        return username
    }

    public static func email(_ value: String?) throws(AppError) -> String {
        let email = try required(value, field: "email_address")
        guard email.unicodeScalars.count <= emailMaxLength, isPlausibleEmail(email) else {
            throw .invalidField(field: "email_address", reason: "email_address must be a valid e-mail address of at most 254 characters")
        }
        return email
    }

    public static func password(_ value: String?, field: String = "password") throws(AppError) -> String {
        let password = try required(value, field: field)
        guard passwordBytes.contains(password.utf8.count) else {
            throw .invalidField(field: field, reason: "\(field) must be 8 to 72 bytes long")
        }
        return password
    }

    /// A name as people will read it: trimmed, 1 to 200 code points as sent, not only digits, nothing
    /// invisible or reordering in it, and stored in NFC (so `é` is one form whichever way it was typed).
    /// Which names count as the same is `String.resourceNameKey`.
    public static func resourceName(_ value: String?) throws(AppError) -> String {
        let name = try required(value, field: "name").trimmingCharacters(in: .whitespacesAndNewlines)
        guard resourceNameLength.contains(name.unicodeScalars.count) else {
            throw .invalidField(field: "name", reason: "name must be 1 to 200 characters and not blank")
        }
        // A string of digits is read as an id wherever a resource is referenced, so it cannot be a name.
        guard !name.allSatisfy(\.isASCIIDigit) else {
            throw .invalidField(field: "name", reason: "name cannot be made only of digits")
        }
        guard !name.unicodeScalars.contains(where: isHiddenInName) else {
            throw .invalidField(field: "name", reason: "name must not contain invisible characters, bidirectional controls or line separators")
        }
        return name.precomposedStringWithCanonicalMapping
    }

    /// Characters that make a name look like another, pad it invisibly or reorder what follows it: every
    /// character Unicode marks Default_Ignorable_Code_Point (zero-width spaces and joiners, the soft hyphen,
    /// variation selectors, the Hangul fillers U+115F, U+1160, U+3164 and U+FFA0, tags), every other format
    /// character (bidirectional controls such as U+202E, the byte order mark), the blank braille pattern
    /// U+2800, and line or paragraph separators. A name that a joiner would draw differently is written
    /// without it (README, "Resource names").
    static func isHiddenInName(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.properties.isDefaultIgnorableCodePoint || scalar == "\u{2800}" { return true }
        switch scalar.properties.generalCategory {
        case .format, .lineSeparator, .paragraphSeparator: return true
        default: return false
        }
    }

    public static func description(_ value: String?) throws(AppError) -> String {
        try text(value, field: "description", maxLength: descriptionMaxLength, allowingLineBreaks: true)
    }

    /// Optional free text: empty when absent, at most `maxLength` characters, no control characters (line
    /// breaks and tabs only where allowed).
    public static func text(_ value: String?, field: String, maxLength: Int, allowingLineBreaks: Bool = false) throws(AppError) -> String {
        guard let value else { return "" }
        try noControlCharacters(value, field: field, allowingLineBreaks: allowingLineBreaks)
        guard value.unicodeScalars.count <= maxLength else {
            throw .invalidField(field: field, reason: "\(field) must be at most \(maxLength) characters")
        }
        return value
    }

    public static func page(limit: Int, offset: Int) throws(AppError) {
        guard Paging.sizes.contains(limit) else {
            throw .invalidField(field: "limit", reason: "limit must be an integer from 1 to 1000")
        }
        guard offset >= 0, offset <= quantityRange.upperBound else {
            throw .invalidField(field: "offset", reason: "offset must be a non-negative integer")
        }
    }

    public static func quantity(_ value: Int, field: String) throws(AppError) -> Int {
        guard quantityRange.contains(value) else {
            throw .invalidField(field: field, reason: "\(field) must be an integer from 0 to \(quantityRange.upperBound)")
        }
        return value
    }

    public static func positiveQuantity(_ value: Int?, field: String) throws(AppError) -> Int {
        guard let value else {
            throw .invalidField(field: field, reason: "\(field) is required")
        }
        guard value >= 1, value <= quantityRange.upperBound else {
            throw .invalidField(field: field, reason: "\(field) must be a positive integer (at most \(quantityRange.upperBound))")
        }
        return value
    }

    /// NUL and other control characters are refused: PostgreSQL cannot store NUL, and none belongs in these fields.
    public static func noControlCharacters(_ value: String, field: String, allowingLineBreaks: Bool = false) throws(AppError) {
        let bad = value.unicodeScalars.contains { scalar in
            guard scalar.properties.generalCategory == .control else { return false }
            return !(allowingLineBreaks && (scalar == "\n" || scalar == "\r" || scalar == "\t"))
        }
        if bad {
            throw .invalidField(field: field, reason: "\(field) must not contain control characters")
        }
    }

    /// A deliberately simple syntax check: one `@`, a non-empty local part of at most 64 characters,
    /// and a domain of dot-separated labels of letters, digits and hyphens. Delivery is the real test.
    public static func isPlausibleEmail(_ email: String) -> Bool {
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2 else { return false }
        let local = parts[0], domain = parts[1]
        guard (1...64).contains(local.unicodeScalars.count),
              local.allSatisfy({ $0.isASCII && !$0.isWhitespace && $0 != "," && $0 != "<" && $0 != ">" }),
              !local.hasPrefix("."), !local.hasSuffix("."), !local.contains("..")
        else { return false }
        let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2 else { return false }
        return labels.allSatisfy { label in
            (1...63).contains(label.unicodeScalars.count)
                && label.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
                && !label.hasPrefix("-") && !label.hasSuffix("-")
        }
    }
}

/// Paging for every listing: `limit` 1 to 1000 (default 100), `offset` from 0.
public enum Paging {
    public static let sizes = 1...1000
    public static let defaultSize = 100
}

/// What a listing by resource and status asks for (bookings, holds, waiting-list entries): nil
/// `resourceID` for every resource, and a page.
public struct ListQuery<Status: Sendable>: Sendable {
    public var resourceID: Int?
    public var status: Status
    public var limit: Int
    public var offset: Int

    public init(resourceID: Int? = nil, status: Status, limit: Int = Paging.defaultSize, offset: Int = 0) {
        self.resourceID = resourceID
        self.status = status
        self.limit = limit
        self.offset = offset
    }
}
