import HeraldSource

/// The events in an HTTP ingest request body, as lines for the same decode → route → journal path
/// as a file's: NDJSON's lines (one JSON object alone is one line), or a JSON array's elements,
/// each element's bytes exactly as sent. Lines are numbered from 1 (an array's elements too), so
/// that an answer can name a bad one.
enum IngestBody {
    struct Malformed: Error, Equatable {
        var message: String
    }

    /// Splits `body`; a JSON array that does not close, or holds something between its elements
    /// other than a comma, is refused whole (its elements cannot be told apart).
    static func lines(_ body: [UInt8]) -> Result<[SourceLine], Malformed> {
        guard let first = body.firstIndex(where: { !isSpace($0) }) else { return .failure(Malformed(message: "the body is empty: send one JSON object, a JSON array of them or NDJSON")) }
        if body[first] == UInt8(ascii: "[") { return arrayElements(body, from: first) }
        var lines: [SourceLine] = []
        var start = 0
        var number = 0
        while start < body.count {
            let end = body[start...].firstIndex(of: 0x0A) ?? body.count
            number += 1
            var slice = body[start..<end]
            if slice.last == 0x0D { slice = slice.dropLast() }
            if slice.contains(where: { !isSpace($0) }) { lines.append(SourceLine(bytes: slice, lineNumber: number)) }
            start = end + 1
        }
        return .success(lines)
    }

    private static func arrayElements(_ body: [UInt8], from first: Int) -> Result<[SourceLine], Malformed> {
        var lines: [SourceLine] = []
        // The open brackets, innermost last: a close must match its open.
        var open: [UInt8] = []
        var depth: Int { open.count }
        var inString = false
        var escaped = false
        var elementStart: Int?
        var index = first
        var closed: Int?
        scan: while index < body.count {
            let byte = body[index]
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
                index += 1
                continue
            }
            switch byte {
            case UInt8(ascii: "\""):
                inString = true
                if depth == 1, elementStart == nil { elementStart = index }
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                open.append(byte)
                if depth == 2, elementStart == nil { elementStart = index }
            case UInt8(ascii: "]"), UInt8(ascii: "}"):
                let opener = byte == UInt8(ascii: "]") ? UInt8(ascii: "[") : UInt8(ascii: "{")
                guard open.popLast() == opener else { return .failure(Malformed(message: "the JSON array's brackets do not match (at byte \(index))")) }
                if depth == 0 {
                    if let start = elementStart { lines.append(element(body, start..<index, number: lines.count + 1)) }
                    closed = index
                    break scan
                }
            case UInt8(ascii: ","):
                if depth == 1 {
                    guard let start = elementStart else { return .failure(Malformed(message: "the JSON array has an empty element (at byte \(index))")) }
                    lines.append(element(body, start..<index, number: lines.count + 1))
                    elementStart = nil
                }
            default:
                if depth == 1, elementStart == nil, !isSpace(byte) { elementStart = index }
            }
            index += 1
        }
        guard let closed else { return .failure(Malformed(message: "the JSON array is not closed: the body ends inside it")) }
        guard body[(closed + 1)...].allSatisfy(isSpace) else {
            return .failure(Malformed(message: "the body goes on after the JSON array (at byte \(closed + 1))"))
        }
        return .success(lines)
    }

    private static func element(_ body: [UInt8], _ range: Range<Int>, number: Int) -> SourceLine {
        var slice = body[range]
        while let last = slice.last, isSpace(last) { slice = slice.dropLast() }
        return SourceLine(bytes: slice, lineNumber: number)
    }

    private static func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D }
}
