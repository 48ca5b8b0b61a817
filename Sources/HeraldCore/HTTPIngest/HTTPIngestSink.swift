import HeraldJournal
import HeraldSource
import Synchronization

/// Where an HTTP ingest listener hands a request body: split into events, then the same decode →
/// route → journal path as a file's lines, answered only once every delivery is fsynced in the
/// journal. An event sent again (a client retrying after a lost answer) is known by its delivery
/// ids — pending in the journal, or among the last ones journaled, also across a restart — and
/// not journaled twice.
public final class HTTPIngestSink: Sendable {
    /// What to answer.
    public enum Outcome: Sendable, Equatable {
        /// Journaled (each rejected line listed in the report): 202, or 400 when a line was rejected.
        case accepted(IngestReport)
        /// Too many requests journaling at once: 429, try again shortly.
        case busy
        /// The journal is at its size budget: 503 until deliveries settle.
        case journalFull
        /// The body could not be split into events: 400.
        case malformed(String)
        /// Herald is shutting down: 503.
        case stopping
    }

    public let source: String
    public let config: HTTPIngestConfig
    private let ingestor: Ingestor
    private let origin: IngestOrigin
    private let recent: RecentDeliveries
    fileprivate let inFlight = Mutex(0)

    init(source: String, config: HTTPIngestConfig, ingestor: Ingestor, origin: IngestOrigin, recent: RecentDeliveries) {
        self.source = source
        self.config = config
        self.ingestor = ingestor
        self.origin = origin
        self.recent = recent
    }

    /// Requests journaling now.
    var requestsInFlight: Int { inFlight.withLock { $0 } }

    /// A place among the requests journaling at once: taken before the body is read, so that
    /// over `max_concurrent_requests` a request is answered at once, its body never held.
    public final class Admission: Sendable {
        fileprivate let sink: HTTPIngestSink
        fileprivate init(sink: HTTPIngestSink) { self.sink = sink }
        deinit { sink.inFlight.withLock { $0 -= 1 } }
    }

    /// nil when `max_concurrent_requests` are in already (answer `429`).
    public func admit() -> Admission? {
        let admitted = inFlight.withLock { count in
            guard count < config.maxConcurrentRequests else { return false }
            count += 1
            return true
        }
        return admitted ? Admission(sink: self) : nil
    }

    /// Admits and ingests (tests and callers that hold the body already).
    public func ingest(_ body: [UInt8]) async -> Outcome {
        guard let admission = admit() else { return .busy }
        return await ingest(body, admitted: admission)
    }

    /// Ingests a body read under `admission`, which is held until the answer.
    public func ingest(_ body: [UInt8], admitted admission: Admission) async -> Outcome {
        defer { withExtendedLifetime(admission) {} }
        guard ingestor.journal.hasRoom() else { return .journalFull }
        var split: IngestBody
        do {
            split = try IngestBody(body)
        } catch {
            return .malformed(error.message)
        }
        var total = IngestReport()
        var none = RereadGuard(recovered: [])
        repeat {
            let chunk = split.next(max: Sidecar.batchLines)
            do {
                // Marked as seen when checked: a request sent twice at once journals its events once.
                let report = try await ingestor.ingestReporting(LineBatch(lines: chunk, checkpoint: nil), from: origin, reread: &none,
                                                                settled: { [recent] id in !recent.claim(id) })
                total.lines += report.lines
                total.stored += report.stored
                total.duplicates += report.duplicates
                total.unrouted += report.unrouted
                total.rejected += report.rejected
            } catch {
                return .stopping
            }
        } while !split.isFinished
        return .accepted(total)
    }
}

/// The delivery ids HTTP ingest journaled last, shared by every HTTP source and seeded at start-up
/// from the journal's last enqueued ids.
final class RecentDeliveries: Sendable {
    static let capacity = 100_000
    private let ids: Mutex<RecentIDs>

    init(_ seeded: RecentIDs) {
        ids = Mutex(seeded)
    }

    /// True when `id` was not known, and is from now on.
    func claim(_ id: String) -> Bool { ids.withLock { $0.insert(id) } }
}
