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

    /// Which of the journal's durable operations a failed system call belonged to: the `op` of
    /// `herald_io_errors_total`, so that the count and the log line come from the same value.
    public struct Operation: Sendable, Hashable, CustomStringConvertible {
        public let name: String
        public var description: String { name }

        /// Writing a batch of records (or a new segment's header) into a segment.
        public static let journalAppend = Operation(name: "journal_append")
        /// Making written records durable (`fdatasync`, and the directory sync of a new segment).
        public static let journalSync = Operation(name: "journal_fsync")
        /// Reading a pending delivery's record back from its segment.
        public static let readBack = Operation(name: "read_back")
        /// Writing a dead letter (its file, its sync, its rename, the directory sync).
        public static let deadLetterWrite = Operation(name: "dead_letter_write")
        /// Freeing space: deleting a settled segment, or starting a fresh one to let an idle one go.
        public static let journalMaintain = Operation(name: "journal_maintain")
    }

    public var code: Code
    public var message: String
    /// The `errno` behind an `.io` or `.noSpace` failure.
    public var errno: Int32?
    /// Set where the failure is known to belong to one of the journal's durable operations.
    public var operation: Operation?

    public init(_ code: Code, _ message: String, errno: Int32? = nil, operation: Operation? = nil) {
        self.code = code
        self.message = message
        self.errno = errno
        self.operation = operation
    }

    /// This error, marked as a failure of `operation` unless it already names one.
    func during(_ operation: Operation) -> JournalError {
        var marked = self
        if marked.operation == nil, marked.errno != nil { marked.operation = operation }
        return marked
    }

    public var description: String { "\(code): \(message)" }
}
