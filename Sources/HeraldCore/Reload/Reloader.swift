import Crypto
import Glibc
import Logging
import Synchronization

/// Applies a new version of the config file to a running Herald (SIGHUP, or `watch: true`):
/// reads and validates it first; an invalid one is rejected with every error logged as
/// `file:line:col` and the running config stays; a valid one is put in force at once — the next
/// ingest batch routes with it and the dispatcher sends with its endpoints. Journaled and
/// in-flight deliveries are untouched, so a reload neither loses nor repeats one.
public final class Reloader: Sendable {
    public enum Trigger: String, Sendable {
        case signal = "SIGHUP"
        case watch
    }

    public enum Outcome: Sendable, Equatable {
        case applied(generation: Int)
        case rejected
        /// `watch` saw a new file with the same content.
        case unchanged
    }

    private let path: String
    private let live: LiveConfig
    private let dispatcher: Dispatcher
    private let stats: DeliveryStats
    private let logger: Logger
    private let environment: @Sendable () -> [String: String]
    /// SHA-256 of the text last applied by a reload, so that `watch` does not reload a touched
    /// but unchanged file twice.
    private let loadedDigest = Mutex<[UInt8]>([])

    public init(path: String, live: LiveConfig, dispatcher: Dispatcher, stats: DeliveryStats, logger: Logger,
                environment: @escaping @Sendable () -> [String: String]) {
        self.path = path
        self.live = live
        self.dispatcher = dispatcher
        self.stats = stats
        self.logger = logger
        self.environment = environment
    }

    /// Reloads the config file. A signal always reloads (it also re-reads secret files);
    /// `watch` skips a file whose text is unchanged.
    @discardableResult
    public func reload(_ trigger: Trigger) -> Outcome {
        let clock = ContinuousClock()
        let started = clock.now
        let loaded = ConfigLoader.read(path: path).flatMap { text in
            ConfigLoader.load(text: text, path: path, environment: environment()).map { ($0, text) }
        }
        switch loaded {
        case .failure(let errors):
            stats.reloaded(applied: false)
            logger.error("config reload rejected; the running config stays in force", metadata: [
                "trigger": "\(trigger.rawValue)", "errors": "\(errors.diagnostics.count)",
            ])
            for diagnostic in errors.diagnostics { logger.error("\(diagnostic)") }
            return .rejected
        case .success(let (config, text)):
            let digest = Self.digest(text)
            if trigger == .watch, loadedDigest.withLock({ $0 == digest }) { return .unchanged }
            let plan = ReloadPlan(current: live.current.config, loaded: config)
            let generation = live.replace(with: plan.config)
            dispatcher.reconfigure(generation)
            loadedDigest.withLock { $0 = digest }
            stats.reloaded(applied: true)
            let took = clock.now - started
            logger.notice("config reloaded", metadata: [
                "trigger": "\(trigger.rawValue)", "generation": "\(generation.number)",
                "routes": "\(plan.config.routes.count)", "endpoints": "\(plan.config.endpoints.count)",
                "added": "\(Self.list(plan.addedEndpoints + plan.addedRoutes))",
                "removed": "\(Self.list(plan.removedEndpoints + plan.removedRoutes))",
                "changed": "\(Self.list(plan.changedEndpoints))",
                "took_ms": "\(Self.milliseconds(took))",
            ])
            for key in plan.needsRestart {
                logger.warning("config reload: '\(key)' changed; it applies at the next restart, the running value stays")
            }
            for name in plan.removedEndpoints {
                logger.warning("config reload: endpoint removed; its pending deliveries go to the dead letters (replay them once it is back)",
                               metadata: ["endpoint": "\(name)"])
            }
            for warning in ConfigWarnings.list(for: plan.config) { logger.warning("\(warning)") }
            return .applied(generation: generation.number)
        }
    }

    /// Milliseconds with one decimal, e.g. `12.3`.
    private static func milliseconds(_ duration: Duration) -> String {
        let tenths = duration.components.seconds * 10_000 + duration.components.attoseconds / 100_000_000_000_000
        return "\(tenths / 10).\(tenths % 10)"
    }

    private static func list(_ names: [String]) -> String {
        names.isEmpty ? "-" : names.joined(separator: ",")
    }

    private static func digest(_ text: String) -> [UInt8] {
        Array(SHA256.hash(data: Array(text.utf8)))
    }

    /// The config file's stamp, following symlinks; nil when it cannot be stat'ed.
    public static func stamp(of path: String) -> FileStamp? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return FileStamp(device: UInt64(info.st_dev), inode: UInt64(info.st_ino), size: Int64(info.st_size),
                         modifiedNanoseconds: Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec))
    }
}
