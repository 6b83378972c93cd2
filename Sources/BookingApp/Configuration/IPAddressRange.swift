#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// One IP address or a CIDR block (`10.0.0.0/8`, `::1`, `fd00::/8`), IPv4 or IPv6.
public struct IPAddressRange: Sendable, Equatable, CustomStringConvertible {
    /// 4 bytes for IPv4, 16 for IPv6.
    let network: [UInt8]
    let prefixLength: Int
    public let description: String

    /// Parses `ADDRESS` or `ADDRESS/PREFIX`; nil if it is neither.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = Self.bytes(of: String(parts[0])) else { return nil }
        let prefixLength: Int
        if parts.count == 2 {
            guard let length = Int(parts[1]), (0...address.count * 8).contains(length) else { return nil }
            prefixLength = length
        } else {
            prefixLength = address.count * 8
        }
        self.network = address
        self.prefixLength = prefixLength
        self.description = text
    }

    /// Whether `address` (in text form) lies in this range. An IPv4-mapped IPv6 address
    /// (`::ffff:127.0.0.1`) counts as the IPv4 address it carries.
    public func contains(_ address: String) -> Bool {
        guard let bytes = Self.bytes(of: address), bytes.count == network.count else { return false }
        var remaining = prefixLength
        for (candidate, base) in zip(bytes, network) where remaining > 0 {
            let bits = min(remaining, 8)
            let mask = UInt8(truncatingIfNeeded: 0xFF << (8 - bits))
            guard candidate & mask == base & mask else { return false }
            remaining -= bits
        }
        return true
    }

    /// The address's bytes: 4 for IPv4 (including IPv4-mapped IPv6), 16 for IPv6; nil if it is not an address.
    static func bytes(of text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            return withUnsafeBytes(of: &v4) { Array($0) }
        }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, text, &v6) == 1 else { return nil }
        let bytes = withUnsafeBytes(of: &v6) { Array($0) }
        let mappedPrefix: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF]
        return bytes.prefix(12).elementsEqual(mappedPrefix) ? Array(bytes.suffix(4)) : bytes
    }

    /// Whether `text` is an IPv4 or IPv6 address.
    static func isAddress(_ text: String) -> Bool {
        bytes(of: text) != nil
    }
}
