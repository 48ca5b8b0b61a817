import Foundation
import HeraldHTTP
import HeraldJournal
import HeraldSource
import Logging

/// `herald run`: opens the state directory, recovers the journal, starts the dispatcher and
/// the source, and runs until the source ends (stdin) or a stop is requested.
///
/// Layout of `state_dir`: `journal/` (segments), `dead/` (dead letters), `replay/` (requests
/// from `herald dead replay`), `log/` (the delivery log), `checkpoint.json` (the file source's
/// committed position).
public final class Sidecar: Sendable {
    public enum Signal: Sendable {
        case stop
        case reload
    }

    private let config: HeraldConfig
    private let logger: Logger
    private let now: @Sendable () -> Int64
    public let stats: DeliveryStats
    /// What `/readyz` reports, kept up to date while running.
    public let readiness = Readiness()

    /// `metrics`: where counts go; by default handles from the bootstrapped `MetricsSystem`.
    public init(config: HeraldConfig, logger: Logger, metrics: HeraldMetrics? = nil, now: @escaping @Sendable () -> Int64 = UnixTime.milliseconds) {
        self.config = config
        self.logger = logger
        self.now = now
        stats = DeliveryStats(metrics: metrics ?? HeraldMetrics(endpoints: config.endpoints.map(\.name)))
        readiness.configLoaded()
    }

    /// Runs until the end. Stdin: after end of input, delivers for up to `drain_timeout`,
    /// leaving the rest journaled. On `.stop`: stops reading, lets requests in flight finish
    /// for up to `shutdown_grace`, leaves the rest journaled.
    public func run(signals: AsyncStream<Signal>) async throws {
        let state = URL(fileURLWithPath: config.stateDir)
        try FileManager.default.createDirectory(at: state, withIntermediateDirectories: true)
        let (journal, recovery) = try Journal.open(directory: state.appendingPathComponent("journal").path,
                                                   options: JournalOptions(maxBytes: config.journal.maxBytes))
        if let torn = recovery.truncatedTail {
            logger.warning("journal had a torn tail (a crash mid-write); truncated it", metadata: ["at": "\(torn)"])
        }
        for skipped in recovery.skippedSegmentTails {
            logger.error("journal segment was corrupt; skipped the rest of it", metadata: ["at": "\(skipped)"])
        }
        readiness.journal(open: true)
        let deadLetters = try DeadLetterStore(directory: state.appendingPathComponent("dead").path)
        let spool = try ReplaySpool(directory: state.appendingPathComponent("replay").path)
        let client = try HTTPClient()
        let deliveryLog = Self.openDeliveryLog(config.deliveryLog, in: state, logger: logger)
        let live = LiveConfig(config)
        let dispatcher = Dispatcher(live: live, client: client, journal: journal, deadLetters: deadLetters, stats: stats, logger: logger, now: now,
                                    deliveryLog: deliveryLog)
        let reloader = Reloader(path: config.path, live: live, dispatcher: dispatcher, stats: stats, logger: logger,
                                environment: { ProcessInfo.processInfo.environment })
        dispatcher.onStatus { [readiness, metrics = stats.metrics] status in
            readiness.dispatch(status)
            metrics.setPaused(Set(status.gone.keys))
            metrics.setBreakerOpen(Set(status.openCircuits))
        }
        dispatcher.submit(recovery.pending)

        let source: any LineSource
        var checkpoints: CheckpointStore?
        var sourceLag: SourceLag?
        // Batches of 1,024 lines: one journal sync each, and little memory held per batch.
        let limits = LineLimits(maxLineBytes: config.source.maxLineBytes, maxBatchLines: 1024)
        switch config.source.input {
        case .file(let path):
            let store = CheckpointStore(path: state.appendingPathComponent("checkpoint.json").path)
            var checkpoint = try store.load()
            if let saved = checkpoint, saved.path != path {
                logger.warning("source file changed since the last run; starting the new file per start_at", metadata: ["old": "\(saved.path)", "new": "\(path)"])
                checkpoint = nil
            }
            source = FileTail(FileTail.Configuration(path: path, startAt: config.source.startAt == .end ? .end : .beginning, checkpoint: checkpoint, limits: limits)) { [logger] notice in
                switch notice {
                case .positioned(let reason, _, let offset):
                    logger.info("reading source file", metadata: ["reason": "\(reason.rawValue)", "offset": "\(offset)", "file": "\(path)"])
                case .waitingForFile:
                    logger.warning("source file does not exist (yet); waiting for it", metadata: ["file": "\(path)"])
                }
            }
            checkpoints = store
            sourceLag = SourceLag(path: path, checkpoints: store, startAtEnd: config.source.startAt == .end)
            readiness.source(file: path)
        case .stdin:
            source = StdinSource(limits: limits)
        }
        logger.info("herald running", metadata: [
            "config": "\(config.path)", "state_dir": "\(config.stateDir)", "pending": "\(recovery.pending.count)",
            "routes": "\(config.routes.count)", "endpoints": "\(config.endpoints.count)",
        ])

        let ingestor = Ingestor(live: live, journal: journal, checkpoints: checkpoints, dispatcher: dispatcher,
                                stats: stats, logger: logger, now: now)
        let replayer = Replayer(spool: spool, deadLetters: deadLetters, journal: journal, dispatcher: dispatcher, stats: stats, logger: logger, now: now)
        let sampler = MetricsSampler(metrics: stats.metrics, journal: journal, sourceLag: sourceLag)

        enum Ending { case sourceEnded, drained, stopRequested, failed(any Error) }
        let ending: Ending = await withTaskGroup(of: Ending?.self) { group in
            group.addTask {
                do {
                    try await ingestor.run(source)
                    return .sourceEnded
                } catch is CancellationError {
                    return nil
                } catch {
                    return .failed(error)
                }
            }
            group.addTask {
                for await signal in signals {
                    switch signal {
                    case .stop: return .stopRequested
                    case .reload: reloader.reload(.signal)
                    }
                }
                return nil
            }
            if config.watch {
                group.addTask { [config] in
                    var watch = ConfigWatchState(initial: Reloader.stamp(of: config.path))
                    while !Task.isCancelled {
                        try? await Task.sleep(for: Self.watchInterval)
                        if watch.observe(Reloader.stamp(of: config.path)) { reloader.reload(.watch) }
                    }
                    return nil
                }
            }
            group.addTask {
                while !Task.isCancelled {
                    await replayer.takeRequests()
                    try? await Task.sleep(for: .seconds(1))
                }
                return nil
            }
            group.addTask {
                await sampler.run()
                return nil
            }
            var ending: Ending = .stopRequested
            for await result in group {
                guard let result else { continue }
                if case .sourceEnded = result {
                    // End of input (stdin): keep delivering, still listening for a stop signal.
                    logger.info("end of input; delivering what is pending", metadata: ["drain_timeout": "\(ConfigDuration.format(config.source.drainTimeout))"])
                    group.addTask { [config] in
                        _ = await dispatcher.waitUntilDrained(timeout: config.source.drainTimeout)
                        return .drained
                    }
                    continue
                }
                ending = result
                break
            }
            source.stop()
            group.cancelAll()
            return ending
        }

        switch ending {
        case .sourceEnded, .drained:
            break
        case .stopRequested:
            logger.info("stopping: no more reading; waiting for requests in flight", metadata: ["shutdown_grace": "\(ConfigDuration.format(config.shutdownGrace))"])
        case .failed(let error):
            logger.error("source failed", metadata: ["error": "\(error)"])
        }
        dispatcher.stop()
        _ = await dispatcher.waitForInFlight(timeout: config.shutdownGrace)
        await dispatcher.flush()
        let left = dispatcher.pendingCount
        await journal.close()
        deliveryLog?.close()
        readiness.journal(open: false)
        client.shutdown()
        let summary = stats.snapshot
        logger.info("herald stopped", metadata: [
            "lines": "\(summary.linesRead)", "rejected": "\(summary.rejectedTotal)", "unrouted": "\(summary.eventsUnrouted)",
            "delivered": "\(summary.delivered)", "retried": "\(summary.retried)", "dead": "\(summary.deadTotal)", "pending": "\(left)",
        ])
        if case .failed(let error) = ending { throw error }
    }

    /// How often `watch: true` looks at the config file; a change applies after two looks.
    static let watchInterval = Duration.milliseconds(500)
}
