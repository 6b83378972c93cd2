import Foundation

/// Small text rules shared by the domain and the edge.
extension String {
    /// The form used for case-insensitive uniqueness of usernames and e-mails (ASCII or close to it).
    public var uniquenessKey: String { lowercased() }

    /// The form that decides whether two resource names are the same name: names that look alike are one
    /// name. Compatibility forms are folded (NFKC: `ﬁ` is `fi`, a full-width `Ａ` is `A`), every run of
    /// whitespace (a no-break space, an ideographic space) is one space, joiners that only change how
    /// letters are drawn are dropped, and case is ignored.
    public var resourceNameKey: String {
        let folded = precomposedStringWithCompatibilityMapping.unicodeScalars.filter { $0 != "\u{200C}" && $0 != "\u{200D}" }
        var key = String.UnicodeScalarView()
        var pendingSpace = false
        for scalar in folded {
            if scalar.properties.isWhitespace {
                pendingSpace = !key.isEmpty
                continue
            }
            if pendingSpace { key.append(" "); pendingSpace = false }
            key.append(scalar)
        }
        return String(key).lowercased().precomposedStringWithCompatibilityMapping
    }

    /// Whether the string is `lengths` bytes of visible ASCII (`!` to `~`, no spaces): what an HTTP header
    /// value or a secret must be to survive every hop unchanged (Idempotency-Key, X-Request-ID, METRICS_TOKEN).
    public func isVisibleASCII(lengths: ClosedRange<Int>) -> Bool {
        lengths.contains(utf8.count) && utf8.allSatisfy { (0x21...0x7e).contains($0) }
    }
}

extension Character {
    public var isASCIIDigit: Bool { isASCII && isNumber }
}

extension UInt8 {
    /// A letter, digit, `-` or `_`.
    public var isURLSafeBase64: Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(self) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(self)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(self) || self == UInt8(ascii: "-") || self == UInt8(ascii: "_")
    }
}
