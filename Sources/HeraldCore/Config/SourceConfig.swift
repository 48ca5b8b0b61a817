import HeraldSource

/// One source of events: a file (or a glob of files), stdin, HTTP ingest, Herald's own events or Kafka.
public struct SourceConfig: Sendable, Equatable {
    public enum Input: Sendable, Equatable {
        /// A path, or a glob whose wildcards (`*`, `?`, `[…]`) are in the file name only.
        case file(String)
        case stdin
        /// `POST /events` on a listener of Herald's own.
        case http(HTTPIngestConfig)
        /// Herald's own events (circuits, endpoints retired, dead letters, journal damage).
        case herald
        /// A member of a Kafka consumer group.
        case kafka(KafkaSourceConfig)
    }

    public enum StartAt: String, Sendable, Equatable, CaseIterable {
        case beginning
        case end
    }

    /// The name events carry as `$source`; `default` for a single source without one.
    public var name: String
    public var input: Input
    /// Where a first run (no checkpoint yet) starts reading a file that exists at start-up.
    public var startAt: StartAt
    public var typeField: FieldPath
    public var idField: FieldPath
    public var maxLineBytes: Int
    /// With `stdin`, how long to keep delivering after end of input before exiting.
    public var drainTimeout: Duration
    /// A glob's files read at once; the rest wait for one to go idle.
    public var maxOpenFiles: Int = 64
    /// How long a glob's file may be gone (deleted, not rotated) before it is released and its
    /// checkpoint removed.
    public var releaseAfter: Duration = .seconds(300)

    public init(name: String = Self.defaultName, input: Input, startAt: StartAt = .beginning, typeField: FieldPath = FieldPath("type")!,
                idField: FieldPath = FieldPath("id")!, maxLineBytes: Int = 1 << 20, drainTimeout: Duration = .seconds(30)) {
        self.name = name
        self.input = input
        self.startAt = startAt
        self.typeField = typeField
        self.idField = idField
        self.maxLineBytes = maxLineBytes
        self.drainTimeout = drainTimeout
    }

    public static let defaultName = "default"

    /// The file pattern, for file sources.
    public var filePattern: String? {
        if case .file(let pattern) = input { return pattern }
        return nil
    }

    /// A file source whose path has wildcards: files are discovered, each with its own checkpoint.
    public var isGlob: Bool { filePattern.map { FileGlob.hasWildcards($0) } ?? false }
}

/// An HTTP ingest source: `POST /events` with JSON or NDJSON, answered once journaled.
public struct HTTPIngestConfig: Sendable, Equatable {
    public var host: String
    public var port: Int
    /// The bearer token every request needs (`token` or `token_file`); nil leaves it open, which
    /// `check` warns of on an address other hosts can reach.
    public var token: String?
    /// The largest request body accepted; a larger one is answered `413`.
    public var maxBody: Int
    /// Requests journaling at once; one more is answered `429` with `Retry-After`.
    public var maxConcurrentRequests: Int

    public init(host: String, port: Int, token: String? = nil, maxBody: Int = 10 << 20, maxConcurrentRequests: Int = 16) {
        self.host = host
        self.port = port
        self.token = token
        self.maxBody = maxBody
        self.maxConcurrentRequests = maxConcurrentRequests
    }

    /// True when only this host can connect (as for ``AdminConfig/isLoopback``).
    public var isLoopback: Bool { AdminConfig(host: host, port: port).isLoopback }
}

extension SourceConfig.Input {
    /// The input's kind as the config names it.
    public var kind: String {
        switch self {
        case .file: "file"
        case .stdin: "stdin"
        case .http: "http"
        case .herald: "herald"
        case .kafka: "kafka"
        }
    }
}
