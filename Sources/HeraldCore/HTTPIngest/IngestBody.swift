import HeraldSource

/// The events in an HTTP ingest request body, as lines for the same decode → route → journal path
/// as a file's: NDJSON's lines (one JSON object alone is one line), or a JSON array's elements,
/// each element's bytes exactly as sent. Lines are numbered from 1 (an array's elements too), so
/// that an answer can name a bad one.
///
/// Split a batch at a time (``next(max:)``), so that a body of millions of tiny events never
/// holds a line for each at once; an array is checked whole first (``init(_:)``): one that does
/// not close, or holds something between its elements other than a comma, is refused before any
/// of it is taken (its elements cannot be told apart).
struct IngestBody {
    struct Malformed: Error, Equatable {
        var message: String
    }

    private let body: [UInt8]
    private let isArray: Bool
    private var scanner: ArrayScanner
    private var position = 0
    private var number = 0

    init(_ body: [UInt8]) throws(Malformed) {
        guard let first = body.firstIndex(where: { !Self.isSpace($0) }) else {
            throw Malformed(message: "the body is empty: send one JSON object, a JSON array of them or NDJSON")
        }
        self.body = body
        isArray = body[first] == UInt8(ascii: "[")
        scanner = ArrayScanner(index: first)
        if isArray {
            var check = scanner
            try check.elements(in: body, max: .max, collect: false)
        }
    }

    /// Whether every line has been handed out.
    var isFinished: Bool { isArray ? scanner.closed : position >= body.count }

    /// The next lines, at most `max` (empty once finished).
    mutating func next(max: Int) -> [SourceLine] {
        if isArray {
            // Checked in init: the scan cannot fail now.
            let ranges = (try? scanner.elements(in: body, max: max, collect: true)) ?? []
            return ranges.map { range in
                number += 1
                return SourceLine(bytes: body[range], lineNumber: number)
            }
        }
        var lines: [SourceLine] = []
        while position < body.count, lines.count < max {
            let end = body[position...].firstIndex(of: 0x0A) ?? body.count
            number += 1
            var slice = body[position..<end]
            if slice.last == 0x0D { slice = slice.dropLast() }
            if slice.contains(where: { !Self.isSpace($0) }) { lines.append(SourceLine(bytes: slice, lineNumber: number)) }
            position = end + 1
        }
        return lines
    }

    /// Every line at once (tests, small bodies).
    static func lines(_ body: [UInt8]) -> Result<[SourceLine], Malformed> {
        var split: IngestBody
        do { split = try IngestBody(body) } catch { return .failure(error) }
        var lines: [SourceLine] = []
        while !split.isFinished { lines += split.next(max: 1024) }
        return .success(lines)
    }

    static func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D }
}

/// Finds a JSON array's top-level elements, resumably: strings (with escapes) and nested
/// brackets are skipped, commas at depth 1 separate elements.
private struct ArrayScanner {
    var index: Int
    /// The open brackets, innermost last: a close must match its open.
    var open: [UInt8] = []
    var inString = false
    var escaped = false
    var elementStart: Int?
    var closed = false

    /// Up to `max` more elements' byte ranges (trailing spaces trimmed); none collected when
    /// `collect` is false (a check of the whole array).
    @discardableResult
    mutating func elements(in body: [UInt8], max: Int, collect: Bool) throws(IngestBody.Malformed) -> [Range<Int>] {
        var found: [Range<Int>] = []
        var count = 0
        func add(_ start: Int, _ end: Int) {
            var end = end
            while end > start, IngestBody.isSpace(body[end - 1]) { end -= 1 }
            count += 1
            if collect { found.append(start..<end) }
        }
        while !closed, index < body.count, count < max {
            let byte = body[index]
            defer { index += 1 }
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""):
                inString = true
                if open.count == 1, elementStart == nil { elementStart = index }
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                open.append(byte)
                if open.count == 2, elementStart == nil { elementStart = index }
            case UInt8(ascii: "]"), UInt8(ascii: "}"):
                let opener = byte == UInt8(ascii: "]") ? UInt8(ascii: "[") : UInt8(ascii: "{")
                guard open.popLast() == opener else { throw .init(message: "the JSON array's brackets do not match (at byte \(index))") }
                if open.isEmpty {
                    if let start = elementStart { add(start, index) }
                    elementStart = nil
                    closed = true
                    guard body[(index + 1)...].allSatisfy(IngestBody.isSpace) else {
                        throw .init(message: "the body goes on after the JSON array (at byte \(index + 1))")
                    }
                }
            case UInt8(ascii: ","):
                if open.count == 1 {
                    guard let start = elementStart else { throw .init(message: "the JSON array has an empty element (at byte \(index))") }
                    add(start, index)
                    elementStart = nil
                }
            default:
                if open.count == 1, elementStart == nil, !IngestBody.isSpace(byte) { elementStart = index }
            }
        }
        if !closed, index >= body.count { throw .init(message: "the JSON array is not closed: the body ends inside it") }
        return found
    }
}
