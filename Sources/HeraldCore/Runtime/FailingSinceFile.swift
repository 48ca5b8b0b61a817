import Foundation
import Logging
import Synchronization

/// `state_dir/failing-since.json`: since when each failing endpoint has failed without a success,
/// so that `disable_after` counts across restarts (a deploy every day must not keep an endpoint
/// that has been down for a week from being paused). Written when it changes, at most once a
/// second (an endpoint that flaps changes it on every attempt), and at shutdown.
final class FailingSinceFile: Sendable {
    let path: String
    private let logger: Logger
    private struct State {
        var latest: [String: Int64]
        var written: [String: Int64]
        var lastWrite: ContinuousClock.Instant?
        var scheduled = false
    }

    private let state: Mutex<State>

    /// Reads the file; a missing one is empty, an unreadable one is logged and taken as empty.
    init(path: String, logger: Logger) {
        self.path = path
        self.logger = logger
        var loaded: [String: Int64] = [:]
        if let data = FileManager.default.contents(atPath: path) {
            if let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] {
                for (name, value) in object { if let since = (value as? NSNumber)?.int64Value { loaded[name] = since } }
            } else {
                logger.warning("cannot read the endpoints' failing-since file; disable_after counts from the next failure", metadata: ["path": "\(path)"])
            }
        }
        state = Mutex(State(latest: loaded, written: loaded))
    }

    var loaded: [String: Int64] { state.withLock { $0.written } }

    /// The dispatcher's status changed: keep its failing-since.
    func update(_ failingSince: [String: Int64]) {
        let write: Bool = state.withLock { state in
            guard failingSince != state.latest else { return false }
            state.latest = failingSince
            if let last = state.lastWrite, ContinuousClock.now - last < .seconds(1) {
                guard !state.scheduled else { return false }
                state.scheduled = true
                Task { [self] in
                    try? await Task.sleep(for: .seconds(1))
                    self.state.withLock { $0.scheduled = false }
                    flush()
                }
                return false
            }
            return true
        }
        if write { flush() }
    }

    /// Writes the latest map if it is not on disk yet (atomically: a crash leaves the old or the new one).
    func flush() {
        let map: [String: Int64]? = state.withLock { state in
            guard state.latest != state.written else { return nil }
            state.lastWrite = .now
            return state.latest
        }
        guard let map else { return }
        do {
            let data = try JSONSerialization.data(withJSONObject: map, options: [.sortedKeys])
            try data.write(to: URL(fileURLWithPath: path), options: .atomic)
            state.withLock { $0.written = map }
        } catch {
            logger.warning("cannot save the endpoints' failing-since file; disable_after may count from later after a restart",
                           metadata: ["path": "\(path)", "error": "\(error)"])
        }
    }
}
