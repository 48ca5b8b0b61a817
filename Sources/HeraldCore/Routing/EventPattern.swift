/// An event-type pattern from a route's `events`: an exact name, or a glob where `*` matches
/// any run of characters (dots included) and `?` one character.
public struct EventPattern: Sendable, Hashable, CustomStringConvertible {
    public let text: String
    /// The pattern's UTF-8, kept so that a match allocates nothing.
    private let bytes: [UInt8]
    public let isExact: Bool
    /// `*`: every type matches.
    public let isAnything: Bool

    /// Why a pattern is refused, or nil when it is valid.
    public static func problem(with text: String) -> String? {
        if text.isEmpty { return "an event pattern cannot be empty" }
        if let bad = text.first(where: { $0.isWhitespace || "[]{}!\\".contains($0) }) {
            return "invalid glob '\(text)': '\(bad)' is not allowed (patterns use only '*' and '?')"
        }
        if text.contains("**") { return "invalid glob '\(text)': '**' is redundant, use '*'" }
        return nil
    }

    public init?(_ text: String) {
        guard Self.problem(with: text) == nil else { return nil }
        self.text = text
        isExact = !text.contains("*") && !text.contains("?")
        bytes = Array(text.utf8)
        isAnything = text == "*"
    }

    public func matches(_ type: String) -> Bool {
        if isExact { return type == text }
        if isAnything { return true }
        var type = type
        return type.withUTF8 { name in bytes.withUnsafeBufferPointer { Self.match($0, name) } }
    }

    /// Iterative glob match with single-star backtracking (linear in practice).
    private static func match(_ pattern: UnsafeBufferPointer<UInt8>, _ name: UnsafeBufferPointer<UInt8>) -> Bool {
        var p = pattern.startIndex, n = name.startIndex
        var starP = -1, starN = -1
        while n < name.endIndex {
            if p < pattern.endIndex, pattern[p] == UInt8(ascii: "?") || pattern[p] == name[n] {
                p += 1
                n += 1
            } else if p < pattern.endIndex, pattern[p] == UInt8(ascii: "*") {
                starP = p
                starN = n
                p += 1
            } else if starP >= 0 {
                p = starP + 1
                starN += 1
                n = starN
            } else {
                return false
            }
        }
        while p < pattern.endIndex, pattern[p] == UInt8(ascii: "*") { p += 1 }
        return p == pattern.endIndex
    }

    public var description: String { text }
    public static func == (lhs: EventPattern, rhs: EventPattern) -> Bool { lhs.text == rhs.text }
    public func hash(into hasher: inout Hasher) { hasher.combine(text) }
}
