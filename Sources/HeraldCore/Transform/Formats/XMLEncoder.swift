/// XML bodies: an XML declaration, then the root element (default `event`); object fields become
/// child elements, an array repeats its field's element once per item (items of a nested array
/// are `item`), null is an empty element; names are made valid XML names and text is escaped.
public enum XMLEncoder {
    public static func encode(_ value: JSONValue, root: String) -> [UInt8] {
        (try? encode(value, root: root, limit: .max)) ?? []
    }

    /// The document, given up with ``BodyTooLarge`` once it passes `limit` bytes: an array repeats
    /// its field's element name for every item, so a small event can grow to an enormous body.
    public static func encode(_ value: JSONValue, root: String, limit: Int) throws(BodyTooLarge) -> [UInt8] {
        var output = Array(#"<?xml version="1.0" encoding="UTF-8"?>"#.utf8)
        output.append(0x0A)
        switch value {
        case .array:
            open(root, &output)
            try member("item", value, &output, limit)
            close(root, &output)
        default:
            try element(root, value, &output, limit)
        }
        return output
    }

    private static func member(_ name: String, _ value: JSONValue, _ output: inout [UInt8], _ limit: Int) throws(BodyTooLarge) {
        guard case .array(let items) = value else { return try element(name, value, &output, limit) }
        for item in items { try element(name, item, &output, limit) }
    }

    private static func element(_ rawName: String, _ value: JSONValue, _ output: inout [UInt8], _ limit: Int) throws(BodyTooLarge) {
        if output.count > limit { throw BodyTooLarge(limit: limit, stage: "xml") }
        let name = elementName(rawName)
        switch value {
        case .null:
            output.append(UInt8(ascii: "<"))
            output.append(contentsOf: name.utf8)
            output.append(contentsOf: "/>".utf8)
        case .object(let object):
            open(name, &output)
            for field in object.fields { try member(field.key, field.value, &output, limit) }
            close(name, &output)
        case .array:
            open(name, &output)
            try member("item", value, &output, limit)
            close(name, &output)
        default:
            open(name, &output)
            output.append(contentsOf: escape(FormEncoder.scalarText(value), quotes: false).utf8)
            close(name, &output)
        }
        if output.count > limit { throw BodyTooLarge(limit: limit, stage: "xml") }
    }

    private static func open(_ name: String, _ output: inout [UInt8]) {
        output.append(UInt8(ascii: "<"))
        output.append(contentsOf: name.utf8)
        output.append(UInt8(ascii: ">"))
    }

    private static func close(_ name: String, _ output: inout [UInt8]) {
        output.append(contentsOf: "</".utf8)
        output.append(contentsOf: name.utf8)
        output.append(UInt8(ascii: ">"))
    }

    /// A valid XML element name for a JSON key: letters, digits, `_`, `-` and `.` are kept, other
    /// characters become `_`; a name that does not start with a letter or `_`, or starts with
    /// `xml` (reserved), gets a leading `_`.
    public static func elementName(_ key: String) -> String {
        var name = String(key.map { $0.isLetter || ("0"..."9").contains($0) || $0 == "_" || $0 == "-" || $0 == "." ? $0 : "_" })
        if let first = name.first, !(first.isLetter || first == "_") || name.lowercased().hasPrefix("xml") {
            name = "_" + name
        }
        return name.isEmpty ? "_" : name
    }

    /// Whether `name` is already a valid element name (as `elementName` would leave it).
    public static func isValidName(_ name: String) -> Bool { !name.isEmpty && elementName(name) == name }

    /// Character data: `&`, `<`, `>` (and quotes in attribute values) as entities, CR kept as
    /// `&#13;`, characters XML 1.0 forbids replaced by U+FFFD.
    public static func escape(_ text: String, quotes: Bool) -> String {
        var output = ""
        output.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": output += "&amp;"
            case "<": output += "&lt;"
            case ">": output += "&gt;"
            case "\"" where quotes: output += "&quot;"
            case "'" where quotes: output += "&apos;"
            case "\r": output += "&#13;"
            case "\t", "\n": output.unicodeScalars.append(scalar)
            case _ where scalar.value < 0x20 || scalar.value == 0xFFFE || scalar.value == 0xFFFF: output += "\u{FFFD}"
            default: output.unicodeScalars.append(scalar)
            }
        }
        return output
    }
}
