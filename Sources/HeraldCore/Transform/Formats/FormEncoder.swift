/// `application/x-www-form-urlencoded` bodies: nested objects flatten to `data[customer][name]`,
/// arrays to `items[0][sku]`; null is empty, booleans are `true`/`false`, numbers as written.
/// Names and values are percent-encoded as the WHATWG URL standard's urlencoded serializer does.
public enum FormEncoder {
    public static func encode(_ object: JSONObject) -> [UInt8] {
        (try? encode(object, limit: .max)) ?? []
    }

    /// The body, built pair by pair and given up with ``BodyTooLarge`` once it passes `limit`
    /// bytes: an array of many items under a long name repeats the name for every item, so a
    /// small event can flatten to an enormous body.
    public static func encode(_ object: JSONObject, limit: Int) throws(BodyTooLarge) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(256)
        func pair(_ name: [UInt8], _ value: JSONValue) throws(BodyTooLarge) {
            if output.count + name.count > limit { throw BodyTooLarge(limit: limit, stage: "form") }
            if !output.isEmpty { output.append(UInt8(ascii: "&")) }
            output.append(contentsOf: name)
            output.append(UInt8(ascii: "="))
            percentEncode(scalarText(value), to: &output)
            if output.count > limit { throw BodyTooLarge(limit: limit, stage: "form") }
        }
        // Names are percent-encoded once per level: `data[items][0]` is `data%5Bitems%5D%5B0%5D`.
        func walk(_ value: JSONValue, _ name: [UInt8]) throws(BodyTooLarge) {
            switch value {
            case .object(let object):
                for field in object.fields { try walk(field.value, child(name, field.key)) }
            case .array(let items):
                for (index, item) in items.enumerated() { try walk(item, child(name, String(index))) }
            default:
                try pair(name, value)
            }
        }
        func child(_ name: [UInt8], _ key: String) -> [UInt8] {
            var child = name
            child.append(contentsOf: "%5B".utf8)
            percentEncode(key, to: &child)
            child.append(contentsOf: "%5D".utf8)
            return child
        }
        for field in object.fields {
            var name: [UInt8] = []
            percentEncode(field.key, to: &name)
            try walk(field.value, name)
        }
        return output
    }

    static func scalarText(_ value: JSONValue) -> String {
        switch value {
        case .null: ""
        case .bool(let flag): flag ? "true" : "false"
        case .number(let number): number.text
        case .string(let text): text
        case .array, .object: JSONWriter.encode(value)
        }
    }

    private static let hex = Array("0123456789ABCDEF".utf8)

    /// WHATWG urlencoded byte serializer: `*-._` and ASCII alphanumerics kept, space as `+`.
    static func percentEncode(_ text: String, to output: inout [UInt8]) {
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "*"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"):
                output.append(byte)
            case 0x20:
                output.append(UInt8(ascii: "+"))
            default:
                output.append(UInt8(ascii: "%"))
                output.append(hex[Int(byte >> 4)])
                output.append(hex[Int(byte & 0x0F)])
            }
        }
    }

    public static func percentEncode(_ text: String) -> String {
        var output: [UInt8] = []
        percentEncode(text, to: &output)
        return String(decoding: output, as: UTF8.self)
    }
}
