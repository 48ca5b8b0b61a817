import HeraldKafka
import HeraldSource
import Logging
import Synchronization

/// A Kafka source's reading: each batch the consumer hands over goes the same decode → route →
/// journal way as a file's lines, and only once it is fsynced are its offsets stored for commit.
/// A message consumed again (after a crash, or a rebalance before a commit) is known by its
/// delivery ids while they are among the last ones journaled, and not journaled twice.
struct KafkaReader: Sendable {
    let source: String
    let consumer: KafkaConsumer
    let origin: IngestOrigin
    let ingestor: Ingestor
    let recent: RecentDeliveries
    let limits: LineLimits
    let backlog: KafkaBacklog
    /// How long a revoke (or joining after a restart) waits for the partitions' deliveries.
    let drainTimeout: Duration
    private let notices: KafkaNoticeLog
    private let logger: Logger

    init(source: String, settings: KafkaSettings, origin: IngestOrigin, ingestor: Ingestor, recent: RecentDeliveries, limits: LineLimits,
         backlog: KafkaBacklog, drainTimeout: Duration, logger: Logger) throws(KafkaError) {
        let notices = KafkaNoticeLog(source: source, logger: logger)
        self.source = source
        self.consumer = try KafkaConsumer(settings, notify: { notices.handle($0) }, beforeRevoke: { partitions in
            let waiting = backlog.unsettled(in: partitions)
            guard waiting > 0 else { return }
            logger.info("kafka partitions revoked; delivering what was read from them before they go to another member", metadata: [
                "source": "\(source)", "pending": "\(waiting)", "drain_timeout": "\(ConfigDuration.format(drainTimeout))",
            ])
            let left = backlog.waitUntilSettled(partitions, timeout: drainTimeout)
            if left > 0 {
                logger.warning("kafka partitions handed on with deliveries still pending: their next owner may send newer events of those keys first",
                               metadata: ["source": "\(source)", "pending": "\(left)"])
            }
        })
        self.origin = origin
        self.ingestor = ingestor
        self.recent = recent
        self.limits = limits
        self.backlog = backlog
        self.drainTimeout = drainTimeout
        self.notices = notices
        self.logger = logger
    }

    /// Consumes until cancelled (shutdown), then commits what is journaled and leaves the group.
    /// After a restart it first delivers what it recovered (up to `drainTimeout`): the partitions
    /// those came from may go to another member as soon as it joins.
    func run() async throws {
        if backlog.unsettledRecovered > 0 {
            logger.info("delivering recovered deliveries before joining the kafka group", metadata: [
                "source": "\(source)", "pending": "\(backlog.unsettledRecovered)", "drain_timeout": "\(ConfigDuration.format(drainTimeout))",
            ])
            let left = try await backlog.waitForRecovered(timeout: drainTimeout)
            if left > 0 { logger.warning("joining the kafka group with recovered deliveries still pending", metadata: ["source": "\(source)", "pending": "\(left)"]) }
        }
        try consumer.start()
        var none = RereadGuard(recovered: [])
        var failure: (any Error)?
        do {
            while let batch = await consumer.next() {
                notices.arrived()
                var lines: [SourceLine] = []
                var messages: [MessageOrigin] = []
                lines.reserveCapacity(batch.messages.count)
                messages.reserveCapacity(batch.messages.count)
                for message in batch.messages {
                    let oversized = message.payload.count > limits.maxLineBytes
                    lines.append(SourceLine(bytes: message.payload.prefix(limits.maxLineBytes), oversized: oversized ? message.payload.count : nil))
                    messages.append(MessageOrigin(key: message.key.map { String(decoding: $0, as: UTF8.self) }, partition: message.partition,
                                                  offset: message.offset))
                }
                try await ingestor.ingest(LineBatch(lines: lines, checkpoint: nil), from: origin, reread: &none,
                                          settled: { [recent] id in !recent.claim(id) }, messages: messages,
                                          journaled: { [backlog] stored in backlog.journaled(stored.map { ($0.id, messages[$0.message].partition) }) })
                consumer.stored(batch)
                try await ingestor.waitForRoom()
            }
        } catch {
            failure = error
        }
        await consumer.close()
        if let failure { throw failure }
        try Task.checkCancellation()
    }
}

/// What a Kafka consumer reports, as log lines: membership changes each time, errors (a broker
/// down) once a minute per kind with how many were held back, and when messages arrive again.
final class KafkaNoticeLog: Sendable {
    private let source: String
    private let logger: Logger
    private let state: Mutex<(limiter: RepeatLimiter, troubled: Bool)>
    private let clock = ContinuousClock()
    private let started: ContinuousClock.Instant

    init(source: String, logger: Logger) {
        self.source = source
        self.logger = logger
        self.state = Mutex((RepeatLimiter(interval: .seconds(60)), false))
        self.started = clock.now
    }

    func handle(_ notice: KafkaNotice) {
        switch notice {
        case .assigned(let partitions):
            logger.info("kafka partitions assigned", metadata: ["source": "\(source)", "partitions": "\(Self.list(partitions))"])
        case .revoked(let partitions, nil):
            logger.info("kafka partitions revoked; committed what is journaled", metadata: ["source": "\(source)", "partitions": "\(Self.list(partitions))"])
        case .revoked(let partitions, let commitError?):
            logger.warning("kafka partitions revoked; the commit failed, so their next owner sends the last uncommitted messages again", metadata: [
                "source": "\(source)", "partitions": "\(Self.list(partitions))", "error": "\(commitError)",
            ])
        case .error(let code, let message, let fatal):
            guard let held = admit("error \(code)", troubled: true) else { return }
            var metadata: Logger.Metadata = ["source": "\(source)", "error": "\(message)"]
            if held > 0 { metadata["repeated"] = "\(held)" }
            if fatal {
                logger.error("kafka consumer failed", metadata: metadata)
            } else {
                logger.warning("kafka unavailable; waiting for it (librdkafka reconnects by itself)", metadata: metadata)
            }
        case .log(let level, let facility, let message):
            // Errors only; connection failures (FAIL) also come as errors, logged above.
            guard level <= 3, facility != "FAIL", let held = admit("log \(facility)", troubled: false) else { return }
            var metadata: Logger.Metadata = ["source": "\(source)", "facility": "\(facility)", "error": "\(message)"]
            if held > 0 { metadata["repeated"] = "\(held)" }
            logger.warning("librdkafka", metadata: metadata)
        }
    }

    /// A batch arrived: after trouble, say that messages flow again.
    func arrived() {
        let wasTroubled = state.withLock { state in
            defer { state.troubled = false }
            return state.troubled
        }
        if wasTroubled { logger.info("kafka messages arriving again", metadata: ["source": "\(source)"]) }
    }

    private func admit(_ kind: String, troubled: Bool) -> Int? {
        let now = clock.now - started
        return state.withLock { state in
            if troubled { state.troubled = true }
            return state.limiter.admit(kind, at: now)
        }
    }

    private static func list(_ partitions: [KafkaPartition]) -> String {
        partitions.isEmpty ? "none" : partitions.map(\.description).joined(separator: ",")
    }
}
