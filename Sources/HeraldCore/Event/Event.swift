/// One decoded input line: its exact bytes (for byte-identical pass-through), its parsed body,
/// and the type and id Herald routes and deduplicates by.
public struct Event: Sendable {
    public var line: [UInt8]
    public var body: JSONObject
    public var type: String
    public var id: String
    /// Whether `id` was derived from the line's hash because the event had none.
    public var idIsDerived: Bool
    public var lineNumber: Int?
    /// Where it came from (source, file, key): not part of its bytes.
    public var metadata = EventMetadata()

    public init(line: [UInt8], body: JSONObject, type: String, id: String, idIsDerived: Bool, lineNumber: Int?) {
        self.line = line
        self.body = body
        self.type = type
        self.id = id
        self.idIsDerived = idIsDerived
        self.lineNumber = lineNumber
    }

    public subscript(path: FieldPath) -> JSONValue? {
        if let field = path.metadata { return metadata[field].map(JSONValue.string) }
        return body.value(at: path)
    }
}
