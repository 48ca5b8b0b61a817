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
        /// The journal refused the line's deliveries for a reason retrying cannot change (a record
        /// over the format's size limit): the line is rejected rather than holding the source.
        case unjournalable
    }

    public var reason: Reason
    public var message: String
    public var lineNumber: Int?

    public var description: String {
        (lineNumber.map { "line \($0): " } ?? "") + message
    }
}
