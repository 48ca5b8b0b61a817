import HeraldJournal
import HeraldHTTP
import HeraldSource
import Logging

/// Turns source batches into journaled deliveries: decode, route, render, journal (fsynced),
/// then checkpoint, then hand to the dispatcher. The checkpoint never gets ahead of the journal,
/// and never more than one batch behind it: a failed journal write or checkpoint save holds the
/// source and is tried again until it succeeds.
///
/// Each batch is decoded and routed under one config generation, taken when the batch starts: a
/// reload applies from the next batch, and every event goes to the endpoints that matched it
/// when it was read.
struct Ingestor: Sendable {
    let live: LiveConfig
    let journal: Journal
    let dispatcher: Dispatcher
    let stats: DeliveryStats
    let logger: Logger
    let now: @Sendable () -> Int64

    init(live: LiveConfig, journal: Journal, dispatcher: Dispatcher,
         stats: DeliveryStats, logger: Logger, now: @escaping @Sendable () -> Int64) {
        self.live = live
        self.journal = journal
        self.dispatcher = dispatcher
        self.stats = stats
        self.logger = logger
        self.now = now
    }

    /// Reads until the source ends or the task is cancelled. `reread` knows the deliveries whose
    /// lines may be read again after a crash.
    func run(_ source: any LineSource, from origin: IngestOrigin, reread: RereadGuard = RereadGuard(recovered: [])) async throws {
        var reread = reread
        while let batch = try await source.next() {
            try await ingest(batch, from: origin, reread: &reread)
            try await waitForRoom()
        }
    }

    /// `settled`: tells deliveries known to be settled although the journal does not hold them (a
    /// re-read after journal damage; an event a client sent again): not enqueued again. It is
    /// asked after the journal is, so that a delivery settled between the two (noted before it
    /// leaves the journal) is still seen. `file`: the file the lines are from, when the batch has
    /// no checkpoint to say so. Returns how many deliveries were journaled.
    @discardableResult
    func ingest(_ batch: LineBatch, from origin: IngestOrigin, reread: inout RereadGuard, settled: (String) -> Bool = { _ in false },
                file: SourceFileStamp? = nil, messages: [MessageOrigin]? = nil,
                journaled: ([(id: String, message: Int)]) -> Void = { _ in }) async throws -> Int {
        try await ingestReporting(batch, from: origin, reread: &reread, settled: settled, file: file, messages: messages, journaled: journaled).stored
    }

    /// ``ingest(_:from:reread:settled:file:)`` with what became of each line: what HTTP ingest answers.
    /// `messages`: for Kafka, each line's message (parallel to `batch.lines`); `journaled` is then
    /// told each journaled delivery's message (its index there) before the dispatcher has it.
    func ingestReporting(_ batch: LineBatch, from origin: IngestOrigin, reread: inout RereadGuard, settled: (String) -> Bool = { _ in false },
                         file: SourceFileStamp? = nil, messages: [MessageOrigin]? = nil,
                         journaled: ([(id: String, message: Int)]) -> Void = { _ in }) async throws -> IngestReport {
        var report = IngestReport()
        let enqueuedAt = now()
        // Each delivery records where its line is, so that a damaged record can be read again.
        let file = file ?? batch.checkpoint.map(SourceFileStamp.init(checkpoint:))
        let generation = live.current
        let decoder = generation.decoders[min(origin.sourceIndex, generation.decoders.count - 1)], router = generation.router
        let stamp = origin.stamped ? SourceStamp.headers(origin.metadata) : []
        var deliveries: [PendingDelivery] = []
        /// The line each delivery came from, for rejecting a line the journal cannot store.
        var lineOf: [String: Int?] = [:]
        var messageOf: [String: Int] = [:]
        var lines = 0, routed = 0, unrouted = 0
        var rejected: [String: Int] = [:]
        for (index, line) in batch.lines.enumerated() {
            if line.bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
            lines += 1
            var event: Event
            switch decoder.decode(Array(line.bytes), lineNumber: line.lineNumber, totalLength: line.oversized) {
            case .failure(let rejection):
                rejected[rejection.reason.rawValue, default: 0] += 1
                report.rejected.append(IngestReport.Rejected(line: line.lineNumber, reason: rejection.reason.rawValue, message: rejection.message))
                var metadata: Logger.Metadata = ["reason": "\(rejection.reason.rawValue)", "error": "\(rejection.message)"]
                if let message = messages?[index] {
                    metadata["message"] = "\(message.position)"
                } else {
                    metadata["line"] = "\(line.lineNumber.map(String.init) ?? "?")"
                }
                logger.warning("rejected input line", metadata: metadata)
                continue
            case .success(let decoded):
                event = decoded
            }
            event.metadata = origin.metadata
            var eventStamp = stamp
            if let message = messages?[index] {
                if event.idIsDerived { event.id = "kafka:" + message.position }
                event.metadata.key = message.key ?? origin.keyField.flatMap { event[$0]?.keyText }
                if let key = event.metadata.key { eventStamp.append(HTTPHeader(SourceStamp.keyHeader, key)) }
            }
            let matches = router.match(event)
            if matches.allSatisfy({ $0.endpoints.isEmpty }) {
                unrouted += 1
                continue
            }
            routed += 1
            for match in matches {
                for endpoint in match.endpoints {
                    let id = RequestRenderer.webhookID(eventID: event.id, route: match.route.name, endpoint: endpoint.name)
                    // A transform that cannot apply is journaled like any delivery, holding the event's
                    // line: the attempt renders it again and dead-letters it with the reason if it
                    // still fails, so nothing is lost on the way and a fixed route can replay it.
                    var payload = (try? RequestRenderer.payload(for: event, route: match.route, endpoint: endpoint))
                        ?? StoredPayload(contentType: StoredPayload.unrendered, body: event.line)
                    if !eventStamp.isEmpty { payload.headers.append(contentsOf: eventStamp) }
                    deliveries.append(PendingDelivery(id: id, endpoint: endpoint.name, route: match.route.name, eventID: event.id, eventType: event.type,
                                                      enqueuedAt: enqueuedAt, payload: payload.encoded(),
                                                      orderingKey: endpoint.ordering?.value(in: event) ?? event.metadata.key,
                                                      source: file.flatMap { file in line.span.map(file.position(of:)) }))
                    lineOf[id] = line.lineNumber
                    if messages != nil { messageOf[id] = index }
                }
            }
        }
        // A line re-read after a crash (journaled, checkpoint not yet saved) was journaled before: the
        // guard knows it even if it has been delivered since. An event written twice by the application
        // is skipped while its first copy is pending. A read that fails counts as unknown.
        let unseen = reread.fresh(deliveries)
        let known = Set(await journal.read(unseen.map(\.id)).compactMap { $0.delivery?.id })
        var seen = Set<String>()
        let fresh = unseen.filter { !known.contains($0.id) && !settled($0.id) && seen.insert($0.id).inserted }
        let (stored, refused) = try await journal(fresh, lines: lineOf)
        if !refused.isEmpty {
            rejected[EventRejection.Reason.unjournalable.rawValue, default: 0] += refused.count
            routed -= refused.count
            report.rejected += refused
        }
        stats.ingested(.init(lines: lines, routed: routed, unrouted: unrouted, enqueued: stored.count,
                             duplicates: deliveries.count - fresh.count, rejected: rejected))
        // Shutdown while the checkpoint cannot be saved leaves the batch to the journal: the next
        // start recovers its deliveries, and its re-read lines are known to the re-read guard.
        if let checkpoint = batch.checkpoint, let store = origin.checkpoints { try await saveCheckpointDurably(checkpoint, in: store) }
        if messages != nil { journaled(stored.compactMap { delivery in messageOf[delivery.id].map { (delivery.id, $0) } }) }
        dispatcher.submit(stored)
        report.lines = lines
        report.stored = stored.count
        report.duplicates = deliveries.count - fresh.count
        report.unrouted = unrouted
        return report
    }

    /// Journals `deliveries` durably. When the journal refuses them for a reason retrying cannot
    /// change (not I/O: a record over the format's limit), each line's deliveries are journaled on
    /// their own and a line still refused is rejected with the reason — logged, counted, and left
    /// behind by the checkpoint — so one line never holds the source. Returns what was journaled
    /// and how many lines were rejected.
    private func journal(_ deliveries: [PendingDelivery], lines: [String: Int?]) async throws -> (stored: [PendingDelivery], refused: [IngestReport.Rejected]) {
        do {
            try await appendDurably(deliveries.map(JournalRecord.enqueue))
            return (deliveries, [])
        } catch let error as JournalError where error.code == .invalidArgument {
            var stored: [PendingDelivery] = []
            var refused: [IngestReport.Rejected] = []
            var groups: [(line: Int?, deliveries: [PendingDelivery])] = []
            for delivery in deliveries {
                let line = lines[delivery.id] ?? nil
                if let last = groups.indices.last, groups[last].line == line, groups[last].deliveries[0].eventID == delivery.eventID {
                    groups[last].deliveries.append(delivery)
                } else {
                    groups.append((line, [delivery]))
                }
            }
            for group in groups {
                do {
                    try await appendDurably(group.deliveries.map(JournalRecord.enqueue))
                    stored.append(contentsOf: group.deliveries)
                } catch let error as JournalError where error.code == .invalidArgument {
                    refused.append(IngestReport.Rejected(line: group.line, reason: EventRejection.Reason.unjournalable.rawValue,
                                                         message: "the journal cannot store its deliveries: \(error.message)"))
                    logger.warning("rejected input line", metadata: [
                        "line": "\(group.line.map(String.init) ?? "?")", "reason": "\(EventRejection.Reason.unjournalable.rawValue)",
                        "event_id": "\(group.deliveries[0].eventID)", "error": "the journal cannot store its deliveries: \(error.message)",
                    ])
                }
            }
            return (stored, refused)
        }
    }

    /// Appends, retrying (without reading further) while the disk is full or failing. The journal
    /// counts each failed write in `herald_io_errors_total`.
    private func appendDurably(_ records: [JournalRecord]) async throws {
        try await retrying(failed: "cannot write the journal; holding the source until it can",
                           recovered: "journal writable again; reading resumes") {
            do throws(JournalError) {
                try await journal.append(records)
            } catch where error.code == .invalidArgument {
                // Not the disk: retrying cannot store these records.
                throw Unretryable(error: error)
            }
        }
    }

    /// Saves the batch's checkpoint, retrying (without reading further) while it cannot be written,
    /// each failure counted. The batch goes to the dispatcher only after it is saved: a delivery
    /// settled while the saved checkpoint is behind its line would be read, and sent, again by a
    /// restart (the re-read guard knows only pending deliveries). Holding the source keeps the
    /// checkpoint within one batch of the journal, which is what that guard covers.
    private func saveCheckpointDurably(_ checkpoint: Checkpoint, in checkpoints: CheckpointStore) async throws {
        try await retrying(failed: "cannot save the source checkpoint; holding the source until it can",
                           recovered: "source checkpoint saved again; reading resumes") {
            do {
                try checkpoints.save(checkpoint)
            } catch {
                stats.ioFailed(IOErrorMetrics.checkpointWrite, errno: (error as? SourceError)?.errno)
                throw error
            }
        }
    }

    /// A failure that trying again cannot mend: ``retrying(failed:recovered:_:)`` rethrows `error`.
    private struct Unretryable: Error {
        var error: any Error
    }

    /// Runs `attempt` until it succeeds, with a backoff that doubles from 100 ms up to 5 s between
    /// tries, so a disk that stays broken is not hammered and one that recovers quickly costs
    /// little. One episode logs twice whatever its length: its first failure (`failed`, with the
    /// error) and the success that ends it (`recovered`, with the number of failures). Cancellation
    /// (shutdown) ends the wait.
    private func retrying(failed: Logger.Message, recovered: Logger.Message, _ attempt: () async throws -> Void) async throws {
        var failures = 0
        var backoff = Duration.milliseconds(100)
        while true {
            do {
                try await attempt()
                if failures > 0 { logger.info(recovered, metadata: ["failures": "\(failures)"]) }
                return
            } catch let unretryable as Unretryable {
                throw unretryable.error
            } catch {
                failures += 1
                if failures == 1 { logger.error(failed, metadata: ["error": "\(error)"]) }
                try await Task.sleep(for: backoff)
                backoff = min(backoff * 2, .seconds(5))
            }
        }
    }

    /// Backpressure: while the journal is at its size budget, the source is not read. The journal's
    /// writer wakes this up when settled deliveries free space; cancellation (shutdown) ends it.
    func waitForRoom() async throws {
        guard !journal.hasRoom() else { return }
        logger.warning("journal at its size budget; pausing the source until deliveries settle", metadata: ["bytes": "\(journal.bytesOnDisk)"])
        try await journal.waitForRoom()
        logger.info("journal has room again; reading resumes")
    }
}
