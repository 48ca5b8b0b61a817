/// `application/x-www-form-urlencoded` bodies: nested objects flatten to `data[customer][name]`,
/// arrays to `items[0][sku]`; null is empty, booleans are `true`/`false`, numbers as written.
/// Names and values are percent-encoded as the WHATWG URL standard's urlencoded serializer does.
public enum FormEncoder {
    public static func encode(_ object: JSONObject) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(256)
        for pair in pairs(object) {
            if !output.isEmpty { output.append(UInt8(ascii: "&")) }
            percentEncode(pair.name, to: &output)
            output.append(UInt8(ascii: "="))
            percentEncode(pair.value, to: &output)
        }
        return output
    }

    /// The flattened name/value pairs, before percent-encoding; empty objects and arrays give none.
    public static func pairs(_ object: JSONObject) -> [(name: String, value: String)] {
        var pairs: [(name: String, value: String)] = []
        func walk(_ value: JSONValue, _ name: String) {
            switch value {
            case .object(let object): for field in object.fields { walk(field.value, name + "[" + field.key + "]") }
            case .array(let items): for (index, item) in items.enumerated() { walk(item, name + "[" + String(index) + "]") }
            default: pairs.append((name, scalarText(value)))
            }
        }
        for field in object.fields { walk(field.value, field.key) }
        return pairs
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
