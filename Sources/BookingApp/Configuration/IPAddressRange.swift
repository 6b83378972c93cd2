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
        guard let bytes = Self.bytes(of: address) else { return false }
        return contains(bytes: bytes)
    }

    /// Whether the address of `bytes` (4 for IPv4, 16 for IPv6) lies in this range.
    func contains(bytes: [UInt8]) -> Bool {
        guard bytes.count == network.count else { return false }
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

    /// The IPv4 addresses an IPv6 address carries, in every form that routes to them: IPv4-compatible
    /// (`::a.b.c.d`), IPv4-translated (`::ffff:0:a.b.c.d`), 6to4 (`2002:AABB:CCDD::/16`), Teredo
    /// (`2001:0::/32`: its server, and its client stored inverted), ISATAP (an interface id of `0:5efe` or
    /// `200:5efe`) and NAT64 (`64:ff9b::/96`, `64:ff9b:1::/48`). An IPv4-mapped address (`::ffff:a.b.c.d`)
    /// is read as IPv4 by ``bytes(of:)`` already. Empty for an IPv4 address or one that carries none.
    static func embeddedIPv4(in text: String) -> [[UInt8]] {
        guard let bytes = bytes(of: text), bytes.count == 16 else { return [] }
        var found: [[UInt8]] = []
        let last4 = Array(bytes[12..<16])
        if bytes[0..<12].allSatisfy({ $0 == 0 }) { found.append(last4) }
        if bytes[0..<8].allSatisfy({ $0 == 0 }), bytes[8...9] == [0xFF, 0xFF], bytes[10...11] == [0, 0] { found.append(last4) }
        if bytes[0...1] == [0x20, 0x02] { found.append(Array(bytes[2..<6])) }
        if bytes[0...3] == [0x20, 0x01, 0, 0] {
            found.append(Array(bytes[4..<8]))
            found.append(last4.map { ~$0 })
        }
        if [[0, 0], [0x02, 0]].contains(Array(bytes[8...9])), bytes[10...11] == [0x5E, 0xFE] { found.append(last4) }
        if bytes[0...3] == [0, 0x64, 0xFF, 0x9B] { found.append(last4) }
        return found
    }

    /// Whether `text` is an IPv4 or IPv6 address.
    static func isAddress(_ text: String) -> Bool {
        bytes(of: text) != nil
    }
}
