import Foundation
import HeraldCore
import Logging
import Testing

/// Row 13: control characters in logged values never reach stderr raw.
@Suite("control characters in logs")
struct LogEscapingTests {
    /// An event id with CR, LF, ESC (a colour sequence), TAB, NUL, DEL, a C1 CSI and U+2028/2029.
    static let hostile = "o-1\r\nlevel=error msg=forged\u{1B}[31mred\t\u{0}\u{7F}\u{9B}2J\u{2028}x\u{2029}y"

    func event(_ message: String, metadata: Logger.Metadata = [:]) -> LogEvent {
        LogEvent(level: .info, message: "\(message)", metadata: metadata, source: nil, file: #file, function: #function, line: #line)
    }

    static func hasRawControl(_ text: String) -> Bool {
        text.unicodeScalars.contains { ControlCharacters.isControl($0) }
    }

    @Test("logfmt: every C0, DEL, C1 and U+2028/2029 is escaped, in values, messages and keys; the line stays one line")
    func logfmt() {
        let handler = LogfmtLogHandler(label: "t", format: .logfmt)
        let line = handler.line(for: event("delivered \(Self.hostile)", metadata: ["event_id": "\(Self.hostile)", "bad\u{1B}key": "v"]))
        #expect(!Self.hasRawControl(line), "\(line.debugDescription)")
        #expect(line.contains(#"event_id="o-1\r\nlevel=error msg=forged\u001b[31mred\t\u0000\u007f\u009b2J\u2028x\u2029y""#))
        #expect(line.contains(#"bad\u001bkey=v"#))
        #expect(line.contains(#"msg="delivered o-1\r\n"#))
    }

    @Test("logfmt quotes a value with any control or Unicode space, and leaves plain values bare")
    func logfmtQuoting() {
        let handler = LogfmtLogHandler(label: "t", format: .logfmt)
        let line = handler.line(for: event("m", metadata: ["a": "plain-value", "b": "\u{1B}", "c": "x\u{00A0}y"]))
        #expect(line.contains(" a=plain-value "))
        #expect(line.contains(#" b="\u001b" "#))
        #expect(line.contains(" c=\"x\u{00A0}y\""))
    }

    @Test("JSON logs escape DEL, C1 and U+2028/2029 too, and still decode to the original value")
    func json() throws {
        let handler = LogfmtLogHandler(label: "t", format: .json)
        let line = handler.line(for: event("m", metadata: ["event_id": "\(Self.hostile)"]))
        #expect(!Self.hasRawControl(line), "\(line.debugDescription)")
        #expect(line.contains(#"\u007f\u009b2J\u2028x\u2029y"#))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(object["event_id"] as? String == Self.hostile)
    }

    @Test("escaped text decodes back: each escape is one JSON string escape")
    func roundTrip() throws {
        let escaped = ControlCharacters.escaped(Self.hostile + "\"\\", quotes: true)
        let decoded = try JSONSerialization.jsonObject(with: Data("\"\(escaped)\"".utf8), options: .fragmentsAllowed) as? String
        #expect(decoded == Self.hostile + "\"\\")
        #expect(ControlCharacters.escaped("no controls: ünïcödé ✓") == "no controls: ünïcödé ✓")
    }
}
