import Glibc
import Synchronization

/// What `/readyz` reports: the sidecar fills it in as it starts and stops (config loaded, journal
/// open, which file the source reads) and the dispatcher pushes its paused endpoints and open
/// circuits whenever they change; the source file's readability is checked when asked.
///
/// Ready means Herald can take events: an endpoint that is paused (410 Gone) or whose circuit is
/// open is reported as a warning, not a problem — a sidecar's readiness gates its whole pod, and
/// one retired receiver must not take the application out of service. A source file that does
/// not exist yet is not a problem either (Herald waits for it); one that exists but cannot be
/// read is.
public final class Readiness: Sendable {
    /// The answer: ready, or the problems that make Herald not ready.
    public struct Report: Sendable, Equatable, Encodable {
        public var ready: Bool { problems.isEmpty }
        /// One line per unmet condition, such as `journal is not open`.
        public var problems: [String]
        /// Conditions worth an operator's attention that do not stop Herald taking events.
        public var warnings: [String]
        /// Endpoints paused because their receiver answered 410 Gone, with the reason.
        public var pausedEndpoints: [PausedEndpoint]
        /// Endpoints whose circuit breaker is open (failing; probed after the cool-down).
        public var openCircuits: [String]
        /// The current limit of each endpoint with adaptive concurrency.
        public var concurrencyLimits: [String: Int] = [:]

        public struct PausedEndpoint: Sendable, Equatable, Encodable {
            public var endpoint: String
            public var reason: String
        }

        enum CodingKeys: String, CodingKey {
            case ready, problems, warnings
            case pausedEndpoints = "paused_endpoints"
            case openCircuits = "open_circuits"
            case concurrencyLimits = "concurrency_limits"
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(ready, forKey: .ready)
            try container.encode(problems, forKey: .problems)
            try container.encode(warnings, forKey: .warnings)
            try container.encode(pausedEndpoints, forKey: .pausedEndpoints)
            try container.encode(openCircuits, forKey: .openCircuits)
            try container.encode(concurrencyLimits, forKey: .concurrencyLimits)
        }
    }

    private struct State {
        var configLoaded = false
        var journalOpen = false
        /// The files (and globs' directories) the sources read.
        var sourceFiles: [String] = []
        var dispatch = DispatchStatus()
    }

    private let state = Mutex(State())

    public init() {}

    public func configLoaded() {
        state.withLock { $0.configLoaded = true }
    }

    public func journal(open: Bool) {
        state.withLock { $0.journalOpen = open }
    }

    /// The file the source tails (nil for stdin, which is always readable once started).
    public func source(file: String?) {
        sources(files: file.map { [$0] } ?? [])
    }

    /// The files the sources tail and the directories their globs list.
    public func sources(files: [String]) {
        state.withLock { $0.sourceFiles = files }
    }

    /// Which endpoints are paused (410 Gone) and why, and which have an open circuit: pushed by
    /// the dispatcher whenever it changes.
    public func dispatch(_ status: DispatchStatus) {
        state.withLock { $0.dispatch = status }
    }

    public func report() -> Report {
        let state = state.withLock { $0 }
        var problems: [String] = []
        if !state.configLoaded { problems.append("config is not loaded") }
        if !state.journalOpen { problems.append("journal is not open") }
        for file in state.sourceFiles where access(file, R_OK) != 0 && errno != ENOENT {
            problems.append("source file \(file) is not readable: \(String(cString: strerror(errno)))")
        }
        let paused = state.dispatch.gone.sorted { $0.key < $1.key }.map { Report.PausedEndpoint(endpoint: $0.key, reason: $0.value) }
        let open = state.dispatch.openCircuits.sorted()
        var warnings = paused.map { "endpoint '\($0.endpoint)' is paused: \($0.reason)" }
        warnings += open.map { "endpoint '\($0)' is failing: its circuit is open" }
        var report = Report(problems: problems, warnings: warnings, pausedEndpoints: paused, openCircuits: open)
        report.concurrencyLimits = state.dispatch.concurrencyLimits
        return report
    }
}
