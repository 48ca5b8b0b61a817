/// A journal, dead-letter or spool failure: a stable code plus a message for humans.
public struct JournalError: Error, Sendable, Equatable, CustomStringConvertible {
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        public let name: String
        public var description: String { name }

        /// Another `Journal` (this process or another) holds the directory's lock.
        public static let locked = Code(name: "locked")
        /// The disk is full (ENOSPC, EDQUOT or EFBIG): stop reading the source until space frees.
        public static let noSpace = Code(name: "no-space")
        /// Any other failed system call (EIO, EACCES, …).
        public static let io = Code(name: "io")
        /// The journal was closed.
        public static let closed = Code(name: "closed")
        /// Bytes that do not decode as what they claim to be.
        public static let corrupt = Code(name: "corrupt")
        /// A segment in a format this version does not read (written by a newer Herald).
        public static let unsupported = Code(name: "unsupported")
        /// A value that cannot be stored (e.g. a record larger than the format allows).
        public static let invalidArgument = Code(name: "invalid-argument")
    }

    public var code: Code
    public var message: String
    /// The `errno` behind an `.io` or `.noSpace` failure.
    public var errno: Int32?

    public init(_ code: Code, _ message: String, errno: Int32? = nil) {
        self.code = code
        self.message = message
        self.errno = errno
    }

    public var description: String { "\(code): \(message)" }
}
