/// Control characters in text Herald shows: log lines and terminal output carry event ids,
/// types and receivers' bodies, so a CR, an ESC or a line separator in them could forge a log
/// line or drive the terminal. Every C0 control, DEL, every C1 control and U+2028/U+2029 is
/// escaped as `\n`, `\r`, `\t` or `\uXXXX` — the spelling JSON and logfmt readers both decode.
public enum ControlCharacters {
    /// C0 (U+0000–U+001F), DEL, C1 (U+0080–U+009F), LINE SEPARATOR and PARAGRAPH SEPARATOR.
    public static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) || scalar.value == 0x2028 || scalar.value == 0x2029
    }

    public static func containsControl(_ text: String) -> Bool {
        text.unicodeScalars.contains(where: isControl)
    }

    /// `text` with every control character escaped; when `quotes` is set, also `"` and `\`
    /// (for the inside of a quoted string), so that the result decodes back to `text`.
    public static func escaped(_ text: String, quotes: Bool = false) -> String {
        guard text.unicodeScalars.contains(where: { isControl($0) || (quotes && ($0 == "\"" || $0 == "\\")) }) else { return text }
        var output = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": output.append(contentsOf: #"\n"#.unicodeScalars)
            case "\r": output.append(contentsOf: #"\r"#.unicodeScalars)
            case "\t": output.append(contentsOf: #"\t"#.unicodeScalars)
            case "\"" where quotes: output.append(contentsOf: #"\""#.unicodeScalars)
            case "\\" where quotes: output.append(contentsOf: #"\\"#.unicodeScalars)
            case _ where isControl(scalar): output.append(contentsOf: unicodeEscape(scalar).unicodeScalars)
            default: output.append(scalar)
            }
        }
        return String(output)
    }

    /// A JSON document with the controls JSON allows raw inside strings (DEL, C1, U+2028/2029)
    /// escaped as well; everything else is left as it was. Valid JSON stays valid and equal.
    public static func escapedJSON(_ json: String) -> String {
        guard json.unicodeScalars.contains(where: isControl) else { return json }
        var output = String.UnicodeScalarView()
        for scalar in json.unicodeScalars {
            if isControl(scalar) {
                output.append(contentsOf: unicodeEscape(scalar).unicodeScalars)
            } else {
                output.append(scalar)
            }
        }
        return String(output)
    }

    private static func unicodeEscape(_ scalar: Unicode.Scalar) -> String {
        let hex = String(scalar.value, radix: 16)
        return #"\u"# + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
    }
}
