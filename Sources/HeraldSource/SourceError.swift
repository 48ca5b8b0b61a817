/// An I/O failure of a source or of the checkpoint store: a stable code and a human message.
public struct SourceError: Error, Sendable, Equatable, CustomStringConvertible {
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        public static let read = Code(rawValue: "read")
        public static let checkpointLoad = Code(rawValue: "checkpoint_load")
        public static let checkpointSave = Code(rawValue: "checkpoint_save")
    }

    public var code: Code
    public var message: String
    /// The `errno` of the failing call, when there was one.
    public var errno: Int32?

    public init(_ code: Code, _ message: String, errno: Int32? = nil) {
        self.code = code
        self.message = message
        self.errno = errno
    }

    public var description: String { "\(code): \(message)" }
}
