import Crypto

/// Turns one input line into an `Event`, or says exactly why it cannot.
public struct EventDecoder: Sendable {
    public var typeField: FieldPath
    public var idField: FieldPath
    public var maxLineBytes: Int

    public init(typeField: FieldPath, idField: FieldPath, maxLineBytes: Int = 1 << 20) {
        self.typeField = typeField
        self.idField = idField
        self.maxLineBytes = maxLineBytes
    }

    /// Decodes a line without its newline. `totalLength` is the line's real length when the
    /// source kept only a prefix of an over-long line.
    public func decode(_ line: [UInt8], lineNumber: Int? = nil, totalLength: Int? = nil) -> Result<Event, EventRejection> {
        func reject(_ reason: EventRejection.Reason, _ message: String) -> Result<Event, EventRejection> {
            .failure(EventRejection(reason: reason, message: message, lineNumber: lineNumber))
        }
        let length = max(totalLength ?? 0, line.count)
        guard length <= maxLineBytes else {
            return reject(.tooLong, "line of \(length) bytes exceeds max_line_bytes (\(maxLineBytes))")
        }
        if let bad = line.withUnsafeBufferPointer(Self.firstInvalidUTF8Offset) {
            return reject(.invalidUTF8, "not valid UTF-8 (byte \(bad + 1))")
        }
        let value: JSONValue
        do {
            value = try JSONParser.parse(line)
        } catch {
            return reject(.invalidJSON, "not JSON: \(error.message) at column \(error.column)")
        }
        guard case .object(let body) = value else {
            return reject(.notAnObject, "expected a JSON object, found \(value.typeName)")
        }
        guard let typeValue = value[typeField] else {
            return reject(.missingType, "no event type at '\(typeField)'")
        }
        guard case .string(let type) = typeValue, !type.isEmpty else {
            return reject(.invalidType, "event type at '\(typeField)' must be a non-empty string, found \(typeValue.typeName)")
        }
        let id: String
        let derived: Bool
        switch value[idField] {
        case nil, .null?:
            id = Self.derivedID(line)
            derived = true
        case .string(let text)? where !text.isEmpty:
            id = text
            derived = false
        case .number(let number)?:
            id = number.text
            derived = false
        case let other?:
            return reject(.invalidID, "event id at '\(idField)' must be a non-empty string or a number, found \(other.typeName)")
        }
        return .success(Event(line: line, body: body, type: type, id: id, idIsDerived: derived, lineNumber: lineNumber))
    }

    /// A stable id for an event without one: the same line gives the same id after a restart.
    public static func derivedID(_ line: [UInt8]) -> String {
        let digest = SHA256.hash(data: line)
        return "sha256:" + Hex.encode(digest.prefix(16))
    }

    /// The offset of the first byte that breaks UTF-8, or nil when the whole line is valid.
    static func firstInvalidUTF8Offset(_ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        var index = 0
        let count = bytes.count
        while index < count {
            // Fast path: eight ASCII bytes at a time.
            while index + 8 <= count {
                let word = UnsafeRawPointer(bytes.baseAddress! + index).loadUnaligned(as: UInt64.self)
                if word & 0x8080_8080_8080_8080 != 0 { break }
                index += 8
            }
            guard index < count else { return nil }
            let lead = bytes[index]
            if lead < 0x80 {
                index += 1
                continue
            }
            let length: Int
            var minimum: UInt32
            var scalar: UInt32
            switch lead {
            case 0xC2...0xDF: length = 2; minimum = 0x80; scalar = UInt32(lead & 0x1F)
            case 0xE0...0xEF: length = 3; minimum = 0x800; scalar = UInt32(lead & 0x0F)
            case 0xF0...0xF4: length = 4; minimum = 0x10000; scalar = UInt32(lead & 0x07)
            default: return index
            }
            guard index + length <= count else { return index }
            for offset in 1..<length {
                let continuation = bytes[index + offset]
                guard continuation & 0xC0 == 0x80 else { return index }
                scalar = scalar << 6 | UInt32(continuation & 0x3F)
            }
            if scalar < minimum || scalar > 0x10FFFF || (0xD800...0xDFFF).contains(scalar) { return index }
            index += length
        }
        return nil
    }
}
