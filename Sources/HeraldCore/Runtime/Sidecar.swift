import Foundation
import HeraldHTTP
import HeraldJournal
import HeraldSource
import Logging
import ServiceLifecycle
import UnixSignals

/// `herald run`: opens the state directory, recovers the journal, starts the dispatcher and
/// the source, and runs until the source ends (stdin) or a stop is requested.
///
/// Layout of `state_dir`: `journal/` (segments), `dead/` (dead letters), `replay/` (requests
/// from `herald dead replay`), `log/` (the delivery log), `checkpoint.json` (a single file
/// source's committed position) or `checkpoints/<source>/` (one per file of a glob or a listed source). Files are 0600 and directories 0700; links inside are refused.
public final class Sidecar: Sendable {
    private let config: HeraldConfig
    private let logger: Logger
    private let now: @Sendable () -> Int64
    private let timing: Timing
    public let stats: DeliveryStats
    /// What `/readyz` reports, kept up to date while running.
    public let readiness = Readiness()

    /// `metrics`: where counts go; by default handles from the bootstrapped `MetricsSystem`.
    public init(config: HeraldConfig, logger: Logger, metrics: HeraldMetrics? = nil,
                timing: Timing = Timing(), now: @escaping @Sendable () -> Int64 = UnixTime.milliseconds) {
        self.config = config
        self.timing = timing
        self.logger = logger
        self.now = now
        stats = DeliveryStats(metrics: metrics ?? HeraldMetrics(endpoints: config.endpoints.map(\.name)))
        readiness.configLoaded()
    }

    /// Runs the sidecar's services in one `ServiceGroup` until the end. SIGTERM or SIGINT is a
    /// graceful shutdown: stop reading, let requests in flight finish for up to
    /// `shutdown_grace`, journal every outcome, leave the rest journaled. SIGHUP reloads the
    /// config. Stdin: after end of input, delivers for up to `drain_timeout`, then the same.
    ///
    /// `leading` services (the admin listener) start with the group and stop after everything
    /// else. Throws what a failed service threw, after the orderly shutdown.
    /// Lines read and journaled together (one journal sync each).
    static let batchLines = 1024

    /// `ingestListener`: the HTTP listener for an `http` source (Herald's is Hummingbird's, in
    /// HeraldAdmin), serving the sink it is given until graceful shutdown.
    public func run(alongside leading: [any Service] = [], ingestListener: (@Sendable (HTTPIngestSink) -> any Service)? = nil) async throws {
        // Trapped first, before recovery (seconds with a large backlog) and before deliveries
        // start: a SIGTERM at any moment from here on shuts down gracefully, none is lost in the
        // gap before the group would register its own handlers.
        let terminations = await UnixSignalsSequence(trapping: .sigterm, .sigint)
        let state = URL(fileURLWithPath: config.stateDir)
        try StateDirectory.create(state.path)
        // Herald's own events, when a source asks for them: fed by retention, recovery and the dispatcher.
        let ownEvents = config.sources.contains { $0.input == .herald } ? OwnEvents(now: now) : nil
        let deadLetters = try DeadLetterStore(directory: state.appendingPathComponent("dead").path,
                                              retention: DeadLetterRetention(config.deadLetters),
                                              onRetention: Self.reportRetention(logger: logger, metrics: stats.metrics, events: ownEvents))
        // Payloads stay on disk at start-up: the dispatcher reads them back before their turn.
        var journalOptions = JournalOptions(maxBytes: config.journal.maxBytes)
        journalOptions.recoverPayloads = false
        // HTTP clients retry and Kafka re-delivers after a crash: both are known by their recent delivery ids.
        let resends = config.sources.contains { switch $0.input { case .http, .kafka: true; default: false } }
        if resends { journalOptions.recentEnqueuedIDs = RecentDeliveries.capacity }
        journalOptions.quarantineDirectory = state.appendingPathComponent("quarantine").path

        journalOptions.countedBeside = { deadLetters.bytesStored }
        journalOptions.onIOError = { [stats] error in
            if let operation = error.operation { stats.ioFailed(operation.name, errno: error.errno) }
        }
        let (journal, opened) = try Journal.open(directory: state.appendingPathComponent("journal").path, options: journalOptions)
        var recovery = opened
        if let torn = recovery.truncatedTail {
            logger.warning("journal had a torn tail (a crash mid-write); truncated it", metadata: ["at": "\(torn)"])
        }
        if !recovery.damage.isEmpty {
            let bytes = recovery.damage.reduce(Int64(0)) { $0 + $1.length }
            logger.error("journal had damaged records; read past them and kept every intact record, copied the damaged segments to quarantine", metadata: [
                "damaged_stretches": "\(recovery.damage.count)", "damaged_bytes": "\(bytes)",
                "segments": "\(Set(recovery.damage.map(\.segment)).sorted().joined(separator: ","))",
                "first": "\(recovery.damage[0])", "quarantine": "\(recovery.quarantined.joined(separator: ","))",
            ])
            stats.metrics.countJournalDamage(bytes: bytes)
            ownEvents?.emit("journal.damaged", [
                ("stretches", .number(JSONNumber(Double(recovery.damage.count)))), ("bytes", .number(JSONNumber(Double(bytes)))),
                ("quarantined", .array(recovery.quarantined.map(JSONValue.string))),
            ])
        }
        readiness.journal(open: true)
        let spool = try ReplaySpool(directory: state.appendingPathComponent("replay").path)
        let client = try HTTPClient()
        let deliveryLog = Self.openDeliveryLog(config.deliveryLog, in: state, logger: logger)
        let live = LiveConfig(config)
        let failingSince = FailingSinceFile(path: state.appendingPathComponent("failing-since.json").path, logger: logger)
        let dispatcher = Dispatcher(live: live, client: client, journal: journal, deadLetters: deadLetters, stats: stats, logger: logger, now: now,
                                    deliveryLog: deliveryLog, failingSince: failingSince.loaded)
        let reloader = Reloader(path: config.path, live: live, dispatcher: dispatcher, stats: stats, logger: logger,
                                environment: { ProcessInfo.processInfo.environment })
        if let ownEvents { dispatcher.onNotice { ownEvents.observe($0) } }
        dispatcher.onStatus { [readiness, metrics = stats.metrics] status in
            failingSince.update(status.failingSince)
            readiness.dispatch(status)
            metrics.setPaused(Set(status.gone.keys))
            metrics.setBreakerOpen(Set(status.openCircuits))
            metrics.setConcurrencyLimits(status.concurrencyLimits)
        }
        // Deliveries it settles while damaged stretches are read again must not be taken for lost ones.
        if !recovery.sourceGaps.isEmpty { dispatcher.recordSettlements() }
        // A Kafka source lets each partition's deliveries out before the partition moves on.
        let kafkaBacklog = config.sources.contains { if case .kafka = $0.input { true } else { false } }
            ? KafkaBacklog(recovered: recovery.pending.lazy.map(\.id)) : nil
        if let kafkaBacklog { dispatcher.onSettled { kafkaBacklog.settled($0) } }
        dispatcher.submit(recovered: recovery.pending)
        let recoveredCount = recovery.pending.count
        // One ingest batch's worth of deliveries, with room to spare, is what a crash can re-read.
        let recentIDs = recovery.pending.suffix(2 * Self.batchLines * max(1, config.routes.reduce(0) { $0 + $1.to.count })).map(\.id)
        recovery.pending = []  // the dispatcher has them; a large backlog's stubs are not kept twice

        // Batches of 1,024 lines: one journal sync each, and little memory held per batch.
        let ingestor = Ingestor(live: live, journal: journal, dispatcher: dispatcher, stats: stats, logger: logger, now: now)
        var readers: [IngestService.Reader] = []
        var fileSets: [FileSetReader] = []
        var recoverable: [(pattern: String, origin: IngestOrigin)] = []
        var sinks: [HTTPIngestSink] = []
        let recentDeliveries = RecentDeliveries(recovery.recentEnqueued)
        recovery.recentEnqueued = RecentIDs(capacity: 0)
        for (index, source) in config.sources.enumerated() {
            let limits = LineLimits(maxLineBytes: source.maxLineBytes, maxBatchLines: Self.batchLines)
            switch source.input {
            case .file(let pattern):
                let files = FileSetReader(
                    FileSetReader.Settings(source: source, sourceIndex: index, stamped: config.sourcesListed, limits: limits,
                                           checkpoints: try Self.checkpoints(for: source, listed: config.sourcesListed, in: state, logger: logger)),
                    ingestor: ingestor, journaled: recovery.furthestByFile, reread: RereadGuard(recovered: recentIDs), logger: logger,
                    metrics: stats.metrics)
                try files.prepare()
                fileSets.append(files)
                readers.append(.files(files))
                recoverable.append((pattern, IngestOrigin(sourceIndex: index, metadata: EventMetadata(source: source.name), stamped: config.sourcesListed)))
            case .stdin:
                readers.append(.stream(StdinSource(limits: limits), IngestOrigin.first(of: config)))
            case .herald:
                if let ownEvents {
                    readers.append(.own(ownEvents, IngestOrigin(sourceIndex: index, metadata: EventMetadata(source: source.name), stamped: config.sourcesListed)))
                }
            case .http(let http):
                let origin = IngestOrigin(sourceIndex: index, metadata: EventMetadata(source: source.name), stamped: config.sourcesListed)
                sinks.append(HTTPIngestSink(source: source.name, config: http, ingestor: ingestor, origin: origin, recent: recentDeliveries))
            case .kafka(let kafka):
                let origin = IngestOrigin(sourceIndex: index, metadata: EventMetadata(source: source.name), stamped: config.sourcesListed,
                                          keyField: kafka.keyField)
                do {
                    readers.append(.kafka(try KafkaReader(source: source.name, settings: kafka.settings, origin: origin, ingestor: ingestor,
                                                          recent: recentDeliveries, limits: limits, backlog: kafkaBacklog!,
                                                          drainTimeout: source.drainTimeout, logger: logger)))
                } catch {
                    throw SidecarError(description: "source '\(source.name)': \(error)")
                }
            }
        }
        readiness.sources(files: config.sources.compactMap { source in
            source.filePattern.map { source.isGlob ? FileGlob($0).directory : $0 }
        })
        let sourceLag = fileSets.isEmpty ? nil : SourceLag(readers: fileSets)
        if !recovery.sourceGaps.isEmpty {
            if !recoverable.isEmpty {
                let limits = LineLimits(maxLineBytes: config.sources.map(\.maxLineBytes).max() ?? 1 << 20, maxBatchLines: Self.batchLines)
                let recovering = SourceRecovery(sources: recoverable, limits: limits, ingestor: ingestor, logger: logger, metrics: stats.metrics)
                let afterDamage = recovery.settledAfterDamage
                // Each checkpoint bounds the read of a gap with no record after it.
                let checkpoints = fileSets.flatMap { $0.savedCheckpoints() }
                await recovering.run(SourceRecovery.plan(recovery.sourceGaps, checkpoints: checkpoints)) { id in
                    afterDamage.contains(id) || dispatcher.settledWhileRecording(id)
                }
            } else {
                logger.error("cannot recover the deliveries of damaged journal stretches: the source is stdin, whose lines cannot be read again",
                             metadata: ["damaged_stretches": "\(recovery.sourceGaps.count)"])
                stats.metrics.countSourceRecovery(recovered: 0, unrecoverable: recovery.sourceGaps.count)
            }
            recovery.sourceGaps = []
            recovery.settledAfterDamage = []
            dispatcher.stopRecordingSettlements()
        }
        let replayer = Replayer(spool: spool, deadLetters: deadLetters, journal: journal, dispatcher: dispatcher, stats: stats, logger: logger, now: now)
        // Made before the group runs, so that both exist by the time "herald running" is logged.
        let hangups = await UnixSignalsSequence(trapping: .sighup)
        let spoolWakeups = DirectoryWakeups(directory: spool.directory, mask: DirectoryWakeups.filesArriving)
        if spoolWakeups == nil {
            logger.warning("cannot watch the replay spool with inotify; looking at it on a timer", metadata: [
                "interval": "\(ConfigDuration.format(timing.replayFallbackInterval))",
            ])
        }

        // Graceful shutdown runs from the last service to the first: reading stops, then replay
        // pick-up, reloads and sampling, then the dispatcher settles, and the admin listener
        // (first) answers to the end.
        var services = leading.map { Self.configuration($0) }
        services.append(Self.configuration(DispatchService(dispatcher: dispatcher, shutdownGrace: config.shutdownGrace)))
        services.append(Self.configuration(MetricsSampler(metrics: stats.metrics, journal: journal, sourceLag: sourceLag,
                                                          interval: timing.metricsInterval, deadLetters: deadLetters)))
        services.append(Self.configuration(DeadLetterRetentionService(journal: journal, letters: deadLetters,
                                                                      interval: timing.deadLetterRetentionInterval,
                                                                      clock: ContinuousClock(), now: now)))
        if config.watch {
            let directory = (config.path as NSString).deletingLastPathComponent
            let hint = DirectoryWakeups(directory: directory.isEmpty ? "." : directory, mask: DirectoryWakeups.entriesChanging)
            services.append(Self.configuration(ConfigWatchService(path: config.path, reloader: reloader,
                                                                  interval: timing.configWatchInterval, hint: hint)))
        }
        services.append(Self.configuration(SignalReloadService(signals: hangups, reloader: reloader)))
        services.append(Self.configuration(ReplayPickup(replayer: replayer, wakeups: spoolWakeups,
                                                        fallbackInterval: timing.replayFallbackInterval)))
        services.append(Self.configuration(IngestService(
            ingestor: ingestor, readers: readers,
            reread: RereadGuard(recovered: recentIDs),
            dispatcher: dispatcher,
            drainTimeout: config.source.drainTimeout, shutdownGrace: config.shutdownGrace, logger: logger,
            runningMessage: "herald running",
            runningMetadata: [
                "config": "\(config.path)", "state_dir": "\(config.stateDir)", "pending": "\(recoveredCount)",
                "routes": "\(config.routes.count)", "endpoints": "\(config.endpoints.count)",
            ])))
        // Last, so that they stop first: no request is taken once reading stops.
        for sink in sinks {
            guard let ingestListener else { throw SidecarError(description: "source '\(sink.source)' needs an HTTP listener, which this build of herald lacks") }
            services.append(Self.configuration(ingestListener(sink)))
        }
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(services: services, logger: logger))
        let shutdownOnSignal = Task {
            for await signal in terminations {
                logger.info("shutting down", metadata: ["signal": "\(signal)"])
                await group.triggerGracefulShutdown()
            }
        }
        defer { shutdownOnSignal.cancel() }

        var failure: (any Error)?
        do {
            try await group.run()
        } catch {
            failure = error
        }
        // The dispatch service has stopped and flushed the dispatcher (also when another
        // service failed: every service shuts the group down gracefully).
        // What the journal holds unsettled is the truth (the dispatcher counts what it was given;
        // deliveries whose settlement could not be written are still in the journal).
        await journal.close()
        failingSince.flush()
        let left = max(dispatcher.pendingCount, journal.pendingCount)
        deliveryLog?.close()
        readiness.journal(open: false)
        client.shutdown()
        let summary = stats.snapshot
        logger.info("herald stopped", metadata: [
            "lines": "\(summary.linesRead)", "rejected": "\(summary.rejectedTotal)", "unrouted": "\(summary.eventsUnrouted)",
            "delivered": "\(summary.delivered)", "retried": "\(summary.retried)", "dead": "\(summary.deadTotal)", "pending": "\(left)",
            "io_errors": "\(summary.ioErrorsTotal)",
        ])
        if let failure { throw failure }
    }

    /// Any service ending, by returning or by throwing, shuts the group down gracefully: stdin's
    /// end (after the drain) is a normal ending, and a failed source or admin listener still
    /// lets the dispatcher settle before the error is reported.
    private static func configuration(_ service: any Service) -> ServiceGroupConfiguration.ServiceConfiguration {
        .init(service: service, successTerminationBehavior: .gracefullyShutdownGroup, failureTerminationBehavior: .gracefullyShutdownGroup)
    }
}

/// A start-up failure of the sidecar's own making (not a config error).
public struct SidecarError: Error, CustomStringConvertible {
    public var description: String
}
