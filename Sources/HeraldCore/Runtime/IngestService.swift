import HeraldSource
import Logging
import ServiceLifecycle

/// Reads the source into the journal until the source ends or graceful shutdown begins.
///
/// At end of input (stdin) it keeps the group running while the dispatcher delivers what is
/// pending, for up to `drain_timeout`, then returns, which shuts the group down. Graceful
/// shutdown cancels the reading, a wait for journal room or the drain at once; the ingestor
/// never leaves a batch half-journaled (its append is not withdrawn by cancellation).
struct IngestService: Service {
    /// One source's reading: stdin (alone), or a file source's files.
    enum Reader: Sendable {
        case stream(any LineSource, IngestOrigin)
        case files(FileSetReader)
        /// Herald's own events: read while the others are, stopped when they end.
        case own(OwnEvents, IngestOrigin)
        /// A member of a Kafka consumer group.
        case kafka(KafkaReader)
    }

    let ingestor: Ingestor
    let readers: [Reader]
    /// The deliveries journaled last before start-up, whose lines may be read again.
    let reread: RereadGuard
    let dispatcher: Dispatcher
    let drainTimeout: Duration
    let shutdownGrace: Duration
    let logger: Logger
    /// Logged first thing in `run`: by then the group's signal handlers are registered, so a
    /// SIGTERM sent after seeing it is never lost.
    let runningMessage: Logger.Message
    let runningMetadata: Logger.Metadata

    func run() async throws {
        logger.info(runningMessage, metadata: runningMetadata)
        do {
            try await cancelWhenGracefulShutdown { [ingestor, readers, reread] in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    var own: OwnEvents?
                    var others = 0
                    for reader in readers {
                        switch reader {
                        case .stream(let source, let origin): group.addTask { try await ingestor.run(source, from: origin, reread: reread) }
                        case .files(let files): group.addTask { try await files.run() }
                        case .kafka(let kafka): group.addTask { try await kafka.run() }
                        case .own(let events, let origin):
                            own = events
                            group.addTask { try await ingestor.run(events, from: origin) }
                            continue
                        }
                        others += 1
                    }
                    // Herald's own events end with the other sources (stdin's end of input): what they
                    // emitted last is journaled too. With only HTTP beside them (no reader here) they
                    // go on until shutdown, which cancels every reader alike.
                    if others > 0 {
                        for _ in 0..<others { try await group.next() }
                        own?.stop()
                    }
                    try await group.waitForAll()
                }
            }
        } catch is CancellationError {
            return stopping()
        } catch {
            logger.error("source failed", metadata: ["error": "\(error)"])
            throw error
        }
        if Task.isShuttingDownGracefully || Task.isCancelled { return stopping() }
        guard readers.contains(where: { if case .stream = $0 { true } else { false } }) else {
            // (Herald's own events alone also wait for shutdown.)
            // Files and Kafka are followed for good and HTTP is served by its listener: nothing ends by itself.
            try? await gracefulShutdown()
            return stopping()
        }
        logger.info("end of input; delivering what is pending", metadata: ["drain_timeout": "\(ConfigDuration.format(drainTimeout))"])
        _ = await cancelWhenGracefulShutdown { [dispatcher, drainTimeout] in await dispatcher.waitUntilDrained(timeout: drainTimeout) }
        if Task.isShuttingDownGracefully { stopping() }
    }

    private func stopping() {
        logger.info("stopping: no more reading; waiting for requests in flight", metadata: ["shutdown_grace": "\(ConfigDuration.format(shutdownGrace))"])
    }
}
