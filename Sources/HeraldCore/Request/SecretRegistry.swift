import Synchronization

/// Every secret of every config this process has loaded, for redacting what Herald logs and
/// journals. Process-wide on purpose: a secret stays sensitive after a reload replaced the config
/// that held it, and log handlers outlive any one config. ``ConfigLoader`` registers each config
/// it loads successfully.
public final class SecretRegistry: Sendable {
    public static let shared = SecretRegistry()

    private let current = Mutex(Redactor(secrets: []))

    public init() {}

    public func register(_ config: HeraldConfig) {
        let added = Redactor(config: config)
        current.withLock { $0 = $0.merging(added) }
    }

    /// A secret learned at run time (an OAuth2 access token).
    public func register(secret: String) {
        let added = Redactor(secrets: [secret])
        current.withLock { $0 = $0.merging(added) }
    }

    public var redactor: Redactor { current.withLock { $0 } }

    public func redact(_ text: String) -> String { redactor.redact(text) }
}
