/// Compact JSON output for values Herald builds itself (transformed events, messages).
/// Numbers keep their source text; strings are escaped per RFC 8259.
public enum JSONWriter {
    public static func encode(_ value: JSONValue) -> String {
        var output: [UInt8] = []
        write(value, to: &output)
        return String(decoding: output, as: UTF8.self)
    }

    public static func encodeBytes(_ value: JSONValue) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(256)
        write(value, to: &output)
        return output
    }

    /// Like ``encodeBytes(_:)``, but stops with ``BodyTooLarge`` once the output passes `limit`
    /// bytes: a value that repeats a large part of an event is never written out whole.
    public static func encodeBytes(_ value: JSONValue, limit: Int, stage: String = "json") throws(BodyTooLarge) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(256)
        try write(value, to: &output, limit: limit, stage: stage)
        return output
    }

    static func write(_ value: JSONValue, to output: inout [UInt8], limit: Int, stage: String) throws(BodyTooLarge) {
        switch value {
        case .array(let items):
            output.append(UInt8(ascii: "["))
            for (index, item) in items.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                try write(item, to: &output, limit: limit, stage: stage)
            }
            output.append(UInt8(ascii: "]"))
        case .object(let object):
            output.append(UInt8(ascii: "{"))
            for (index, field) in object.fields.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                writeString(field.key, to: &output)
                output.append(UInt8(ascii: ":"))
                try write(field.value, to: &output, limit: limit, stage: stage)
            }
            output.append(UInt8(ascii: "}"))
        default:
            write(value, to: &output)
        }
        if output.count > limit { throw BodyTooLarge(limit: limit, stage: stage) }
    }

    public static func write(_ value: JSONValue, to output: inout [UInt8]) {
        switch value {
        case .null: output.append(contentsOf: "null".utf8)
        case .bool(let flag): output.append(contentsOf: (flag ? "true" : "false").utf8)
        case .number(let number): output.append(contentsOf: number.text.utf8)
        case .string(let text): writeString(text, to: &output)
        case .array(let items):
            output.append(UInt8(ascii: "["))
            for (index, item) in items.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                write(item, to: &output)
            }
            output.append(UInt8(ascii: "]"))
        case .object(let object):
            output.append(UInt8(ascii: "{"))
            for (index, field) in object.fields.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                writeString(field.key, to: &output)
                output.append(UInt8(ascii: ":"))
                write(field.value, to: &output)
            }
            output.append(UInt8(ascii: "}"))
        }
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    public static func writeString(_ text: String, to output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): output.append(contentsOf: [0x5C, 0x22])
            case UInt8(ascii: "\\"): output.append(contentsOf: [0x5C, 0x5C])
            case 0x0A: output.append(contentsOf: [0x5C, UInt8(ascii: "n")])
            case 0x0D: output.append(contentsOf: [0x5C, UInt8(ascii: "r")])
            case 0x09: output.append(contentsOf: [0x5C, UInt8(ascii: "t")])
            case 0..<0x20:
                output.append(contentsOf: Array("\\u00".utf8))
                output.append(hexDigits[Int(byte >> 4)])
                output.append(hexDigits[Int(byte & 0x0F)])
            default: output.append(byte)
            }
        }
        output.append(UInt8(ascii: "\""))
    }
}
