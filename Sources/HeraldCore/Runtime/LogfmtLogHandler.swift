import Foundation
import Logging

/// Writes one structured line per log call to stderr: logfmt by default
/// (`time=… level=info msg="…" endpoint=erp`), or JSON. With a ``SecretRegistry``, every known
/// secret is hidden from the message and metadata before they are encoded. Every control
/// character is escaped in both formats (``ControlCharacters``), so a value cannot start a line
/// of its own or reach the terminal raw.
public struct LogfmtLogHandler: LogHandler {
    public enum Format: String, Sendable, CaseIterable {
        case logfmt, json
    }

    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level
    private let label: String
    private let format: Format
    private let secrets: SecretRegistry?

    public init(label: String, format: Format = .logfmt, level: Logger.Level = .info, secrets: SecretRegistry? = nil) {
        self.label = label
        self.format = format
        self.secrets = secrets
        logLevel = level
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        StandardStream.write(line(for: event) + "\n")
    }

    /// The line written for `event`, without its newline.
    public func line(for event: LogEvent) -> String {
        var fields: [(String, String)] = [
            ("time", Self.timestamp()), ("level", event.level.rawValue), ("msg", event.message.description),
        ]
        for (key, value) in metadata.merging(event.metadata ?? [:], uniquingKeysWith: { _, new in new }).sorted(by: { $0.key < $1.key }) {
            fields.append((key, "\(value)"))
        }
        if let redactor = secrets?.redactor {
            fields = fields.map { ($0.0, redactor.redact($0.1)) }
        }
        switch format {
        case .logfmt:
            return fields.map { "\(ControlCharacters.escaped($0.0))=\(Self.logfmtValue($0.1))" }.joined(separator: " ")
        case .json:
            var object = JSONObject()
            for (key, value) in fields { object[key] = .string(value) }
            // JSONWriter escapes C0 as JSON requires; DEL, C1 and U+2028/2029 are escaped here.
            return ControlCharacters.escapedJSON(JSONWriter.encode(.object(object)))
        }
    }

    static func logfmtValue(_ value: String) -> String {
        let needsQuotes = value.isEmpty || value.unicodeScalars.contains {
            $0 == " " || $0 == "=" || $0 == "\"" || $0 == "\\" || ControlCharacters.isControl($0) || $0.properties.isWhitespace
        }
        guard needsQuotes else { return value }
        return "\"\(ControlCharacters.escaped(value, quotes: true))\""
    }

    private static func timestamp() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var seconds = now.tv_sec
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday, parts.tm_hour, parts.tm_min, parts.tm_sec, now.tv_nsec / 1_000_000)
    }
}
