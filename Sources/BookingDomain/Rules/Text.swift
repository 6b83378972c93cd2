/// Small text rules shared by the domain and the edge.
extension String {
    /// The form used for case-insensitive uniqueness of usernames, e-mails and resource names.
    public var uniquenessKey: String { lowercased() }

    /// Whether the string is `lengths` bytes of visible ASCII (`!` to `~`, no spaces): what an HTTP header
    /// value or a secret must be to survive every hop unchanged (Idempotency-Key, X-Request-ID, METRICS_TOKEN).
    public func isVisibleASCII(lengths: ClosedRange<Int>) -> Bool {
        lengths.contains(utf8.count) && utf8.allSatisfy { (0x21...0x7e).contains($0) }
    }
}

extension Character {
    public var isASCIIDigit: Bool { isASCII && isNumber }
}
