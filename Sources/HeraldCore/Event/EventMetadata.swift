/// What Herald knows about an event besides its bytes: the source it came from and, for a file,
/// its path; for a Kafka message, its key. Routes test it (`where: { $source: app }`) and
/// templates use it (`{{$file}}`) under `$` names, which no event body can shadow; the event's
/// bytes never change.
public struct EventMetadata: Sendable, Equatable {
    /// A metadata field as a path names it.
    public enum Field: String, Sendable, Hashable, CaseIterable {
        case source = "$source"
        case file = "$file"
        case key = "$key"
    }

    /// The source's name (`default` for a single unnamed source).
    public var source: String?
    /// The file's path as matched, for file sources.
    public var file: String?
    /// The message key, for Kafka sources.
    public var key: String?

    public init(source: String? = nil, file: String? = nil, key: String? = nil) {
        self.source = source
        self.file = file
        self.key = key
    }

    public subscript(field: Field) -> String? {
        switch field {
        case .source: source
        case .file: file
        case .key: key
        }
    }
}
