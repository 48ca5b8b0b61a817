/// Reads the delivery log's own lines: one JSON object whose values are strings, numbers,
/// booleans or null (no nesting). Anything else — a torn line, another format — reads as nil.
struct FlatJSONScanner {
    enum Value {
        case string(String)
        case number(Int64, fractionMicros: Int64)
        case bool(Bool)
        case null
    }

    private let bytes: UnsafeBufferPointer<UInt8>
    private var index = 0

    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    /// Calls `field` for each key and value in order; false when the line is not such an object.
    mutating func forEachField(_ field: (String, Value) -> Void) -> Bool {
        guard take(UInt8(ascii: "{")) else { return false }
        if take(UInt8(ascii: "}")) { return atEnd }
        repeat {
            guard let key = string(), take(UInt8(ascii: ":")), let value = value() else { return false }
            field(key, value)
        } while take(UInt8(ascii: ","))
        return take(UInt8(ascii: "}")) && atEnd
    }

    /// The value of the leading integer field `key` (as in `{"seq":12,…`), without reading the rest.
    static func leadingInteger(_ key: StaticString, in bytes: UnsafeBufferPointer<UInt8>, at start: Int = 1) -> (value: Int64, end: Int)? {
        let count = key.utf8CodeUnitCount
        guard bytes.count > start + count + 3, bytes[start] == 0x22, bytes[start + count + 1] == 0x22, bytes[start + count + 2] == 0x3A else {
            return nil
        }
        for offset in 0..<count where bytes[start + 1 + offset] != key.utf8Start[offset] { return nil }
        var scanner = FlatJSONScanner(bytes)
        scanner.index = start + count + 3
        guard case .number(let value, _)? = scanner.value() else { return nil }
        return (value, scanner.index)
    }

    private var atEnd: Bool { index == bytes.count }

    private mutating func take(_ byte: UInt8) -> Bool {
        guard index < bytes.count, bytes[index] == byte else { return false }
        index += 1
        return true
    }

    private mutating func value() -> Value? {
        guard index < bytes.count else { return nil }
        switch bytes[index] {
        case UInt8(ascii: "\""): return string().map(Value.string)
        case UInt8(ascii: "n"): return literal("null") ? .null : nil
        case UInt8(ascii: "t"): return literal("true") ? .bool(true) : nil
        case UInt8(ascii: "f"): return literal("false") ? .bool(false) : nil
        default: return number()
        }
    }

    private mutating func literal(_ word: StaticString) -> Bool {
        let count = word.utf8CodeUnitCount
        guard index + count <= bytes.count else { return false }
        for offset in 0..<count where bytes[index + offset] != word.utf8Start[offset] { return false }
        index += count
        return true
    }

    /// An integer with up to three decimals (durations in milliseconds with microseconds).
    private mutating func number() -> Value? {
        let negative = take(UInt8(ascii: "-"))
        var whole: Int64 = 0
        var digits = 0
        while index < bytes.count, bytes[index] &- 48 < 10, digits < 18 {
            whole = whole * 10 + Int64(bytes[index] - 48)
            index += 1
            digits += 1
        }
        guard digits > 0 else { return nil }
        var fraction: Int64 = 0
        if take(UInt8(ascii: ".")) {
            var scale: Int64 = 100
            let start = index
            while index < bytes.count, bytes[index] &- 48 < 10 {
                fraction += Int64(bytes[index] - 48) * scale
                scale /= 10
                index += 1
            }
            guard index > start else { return nil }
        }
        return .number(negative ? -whole : whole, fractionMicros: negative ? -fraction : fraction)
    }

    private mutating func string() -> String? {
        guard take(UInt8(ascii: "\"")) else { return nil }
        let start = index
        while index < bytes.count, bytes[index] != 0x22, bytes[index] != 0x5C { index += 1 }
        guard index < bytes.count else { return nil }
        if bytes[index] == 0x22 {
            defer { index += 1 }
            return String(validating: bytes[start..<index], as: UTF8.self)
        }
        var text = Array(bytes[start..<index])
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            if byte == 0x22 { return String(validating: text, as: UTF8.self) }
            guard byte == 0x5C else {
                text.append(byte)
                continue
            }
            guard index < bytes.count else { return nil }
            let escape = bytes[index]
            index += 1
            switch escape {
            case UInt8(ascii: "n"): text.append(0x0A)
            case UInt8(ascii: "t"): text.append(0x09)
            case UInt8(ascii: "r"): text.append(0x0D)
            case UInt8(ascii: "b"): text.append(0x08)
            case UInt8(ascii: "f"): text.append(0x0C)
            case UInt8(ascii: "u"):
                guard var scalar = hex4() else { return nil }
                if (0xD800..<0xDC00).contains(scalar) {
                    guard literal("\\u"), let low = hex4(), (0xDC00..<0xE000).contains(low) else { return nil }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                }
                guard let character = Unicode.Scalar(scalar) else { return nil }
                text.append(contentsOf: String(Character(character)).utf8)
            default: text.append(escape)
            }
        }
        return nil
    }

    private mutating func hex4() -> UInt32? {
        guard index + 4 <= bytes.count else { return nil }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index] | 0x20
            let digit: UInt8
            if byte &- 48 < 10 { digit = byte - 48 } else if byte &- 97 < 6 { digit = byte - 87 } else { return nil }
            value = value << 4 | UInt32(digit)
            index += 1
        }
        return value
    }
}
