import BookingDomain
import Vapor

/// Who is at the other end of a request, for login throttling and the access log
/// (``ServerContext/clientAddress(of:)``).
enum ClientAddress {
    /// Walks back from the connection's peer through `X-Forwarded-For` (whose last entry is the hop
    /// nearest to us) for as long as the hop is a trusted proxy; the first address that is not one is
    /// the client. A header from anyone else is ignored, so a client cannot choose its own address.
    static func resolve(peer: String?, forwardedFor: [String], trusted: [IPAddressRange]) -> String? {
        guard var client = peer else { return nil }
        let hops = forwardedFor.flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }
        for hop in hops.reversed() {
            guard trusted.contains(where: { $0.contains(client) }), IPAddressRange.isAddress(hop) else { break }
            client = hop
        }
        return client
    }
}
