/// Why an input line produced no event. Rejections are counted by `reason` and logged with the
/// line number; the stream always carries on with the next line.
public struct EventRejection: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Reason: String, Sendable, CaseIterable {
        case invalidUTF8 = "invalid_utf8"
        case invalidJSON = "invalid_json"
        case notAnObject = "not_an_object"
        case missingType = "missing_type"
        case invalidType = "invalid_type"
        case invalidID = "invalid_id"
        case tooLong = "too_long"
    }

    public var reason: Reason
    public var message: String
    public var lineNumber: Int?

    public var description: String {
        (lineNumber.map { "line \($0): " } ?? "") + message
    }
}
