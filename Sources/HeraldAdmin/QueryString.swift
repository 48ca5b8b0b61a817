/// Decodes a URL query (`a=1&b=x%20y`) strictly: `+` is a space, `%XX` must be valid hex and the
/// result valid UTF-8, and a name given twice is an error rather than a silent pick.
enum QueryString {
    struct Problem: Error, Equatable {
        var message: String
    }

    static func parse(_ query: String?) throws(Problem) -> [String: String] {
        var parameters: [String: String] = [:]
        guard let query else { return parameters }
        for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = try decode(parts[0])
            let value = parts.count > 1 ? try decode(parts[1]) : ""
            guard !name.isEmpty else { throw Problem(message: "a query parameter has no name") }
            guard parameters[name] == nil else { throw Problem(message: "parameter '\(name)' is given more than once") }
            parameters[name] = value
        }
        return parameters
    }

    static func decode(_ text: Substring) throws(Problem) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            switch byte {
            case UInt8(ascii: "+"):
                bytes.append(UInt8(ascii: " "))
            case UInt8(ascii: "%"):
                guard let high = iterator.next().flatMap(hexDigit), let low = iterator.next().flatMap(hexDigit) else {
                    throw Problem(message: "bad percent-encoding in '\(text)'")
                }
                bytes.append(high << 4 | low)
            default:
                bytes.append(byte)
            }
        }
        guard let decoded = String(validating: bytes, as: UTF8.self) else {
            throw Problem(message: "'\(text)' does not decode to UTF-8 text")
        }
        return decoded
    }

    private static func hexDigit(_ byte: UInt8) -> UInt8? {
        byte < 0x80 ? Character(Unicode.Scalar(byte)).hexDigitValue.map(UInt8.init) : nil
    }
}
