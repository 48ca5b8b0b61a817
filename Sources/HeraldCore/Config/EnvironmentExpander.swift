/// Expands `${VAR}` and `${VAR:-default}` from the environment in config values; `$$` is a literal `$`.
public struct EnvironmentExpander: Sendable {
    public enum Failure: Error, Equatable {
        case unset(String)
        case malformed(String)
    }

    public var environment: [String: String]

    public init(environment: [String: String]) {
        self.environment = environment
    }

    /// Whether `text` mentions a variable at all (cheap check before expanding).
    public static func mentionsVariable(_ text: String) -> Bool { text.contains("$") }

    public func expand(_ text: String) -> Result<String, Failure> {
        expandTracking(text).map(\.text)
    }

    /// The expanded text and each value substituted into it (a variable's value or the default
    /// used instead), in order: a value in a secret position is a secret on its own, wherever
    /// in the text it was put.
    public func expandTracking(_ text: String) -> Result<(text: String, values: [String]), Failure> {
        guard Self.mentionsVariable(text) else { return .success((text, [])) }
        var values: [String] = []
        var output = ""
        var rest = Substring(text)
        while let dollar = rest.firstIndex(of: "$") {
            output += rest[..<dollar]
            let after = rest.index(after: dollar)
            if after < rest.endIndex, rest[after] == "$" {
                output += "$"
                rest = rest[rest.index(after: after)...]
                continue
            }
            guard after < rest.endIndex, rest[after] == "{" else {
                output += "$"
                rest = rest[after...]
                continue
            }
            guard let close = rest[after...].firstIndex(of: "}") else {
                return .failure(.malformed("unterminated '${' in '\(text)'"))
            }
            let body = rest[rest.index(after: after)..<close]
            let name: Substring
            var fallback: Substring?
            if let colon = body.firstIndex(of: ":"), body[body.index(after: colon)...].first == "-" {
                name = body[..<colon]
                fallback = body[body.index(colon, offsetBy: 2)...]
            } else {
                name = body
            }
            guard Self.isValidName(name) else {
                return .failure(.malformed("'${\(body)}' is not a valid variable reference (names are letters, digits and _)"))
            }
            if let value = environment[String(name)], !(value.isEmpty && fallback != nil) {
                output += value
                values.append(value)
            } else if let fallback {
                output += fallback
                values.append(String(fallback))
            } else {
                return .failure(.unset(String(name)))
            }
            rest = rest[rest.index(after: close)...]
        }
        output += rest
        return .success((output, values))
    }

    private static func isValidName(_ name: Substring) -> Bool {
        guard let first = name.utf8.first, !(0x30...0x39).contains(first) else { return false }
        return name.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x5F }
    }
}
