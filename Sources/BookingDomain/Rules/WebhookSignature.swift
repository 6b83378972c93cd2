import Crypto
import Foundation

/// Standard Webhooks signing (https://www.standardwebhooks.com): the secret is `whsec_` and base64 of
/// random bytes; a message is signed as base64 of HMAC-SHA256 over `id.timestamp.body` with those bytes,
/// and sent as `webhook-signature: v1,<signature>` beside `webhook-id` and `webhook-timestamp`.
public enum WebhookSignature {
    public static let secretPrefix = "whsec_"

    /// A new secret of 32 random bytes.
    public static func newSecret() -> String {
        secretPrefix + Data(SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }).base64EncodedString()
    }

    /// The `webhook-signature` header's value for one message.
    public static func sign(secret: String, messageID: String, timestamp: Int, body: [UInt8]) -> String {
        let encoded = secret.hasPrefix(secretPrefix) ? String(secret.dropFirst(secretPrefix.count)) : secret
        let key = SymmetricKey(data: Data(base64Encoded: encoded) ?? Data(encoded.utf8))
        var signed = Array("\(messageID).\(timestamp).".utf8)
        signed.append(contentsOf: body)
        let mac = HMAC<SHA256>.authenticationCode(for: signed, using: key)
        return "v1," + Data(mac).base64EncodedString()
    }

    /// Whether `header` (one or more space-separated `v1,<signature>`) signs the message: a receiver's
    /// check, used by the tests.
    public static func verify(header: String, secret: String, messageID: String, timestamp: Int, body: [UInt8]) -> Bool {
        let expected = Array(sign(secret: secret, messageID: messageID, timestamp: timestamp, body: body).utf8)
        return header.split(separator: " ").contains { candidate in
            let given = Array(candidate.utf8)
            guard given.count == expected.count else { return false }
            return zip(given, expected).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
        }
    }

    /// The `webhook-id` of an event: stable, the same on every attempt.
    public static func messageID(eventID: Int) -> String { "evt_\(eventID)" }
}
