import HeraldJournal
import HeraldSource
import Logging

/// Recovery from source: the lines whose deliveries were in damaged journal records are read
/// again from the source file (found by identity, also after a rename) and ingested as if new.
/// Deliveries still pending, or settled after the damage, are not enqueued twice; one whose ack
/// was itself in the damage may be sent again (same `webhook-id`): at least once, never lost.
struct SourceRecovery {
    /// A stretch of one file to read again.
    struct Stretch: Equatable {
        /// The file (its identity and fingerprint; the offset is not used).
        var file: SourcePosition
        var range: Range<Int64>
    }

    /// What to read again, and the damage whose lines cannot be found in any source position.
    struct Plan: Equatable {
        var stretches: [Stretch] = []
        var unbounded: [JournalDamage] = []
    }

    /// The stretches around each gap: from the line of the intact record before the damage to the
    /// line of the one after it (the same line may hold several deliveries, so both ends are read
    /// again). When the one after is in another file (the source rotated), the first file to its
    /// end and the second from its start; when none follows, up to the checkpoint, after which the
    /// source reads on by itself. With no record before the damage the start is unknown.
    static func plan(_ gaps: [SourceGap], checkpoint: Checkpoint?) -> Plan {
        plan(gaps, checkpoints: checkpoint.map { [$0] } ?? [])
    }

    /// The same with every file's checkpoint: a gap's file is bounded by its own.
    static func plan(_ gaps: [SourceGap], checkpoints: [Checkpoint]) -> Plan {
        var plan = Plan()
        var stretches: [Stretch] = []
        for gap in gaps {
            guard let before = gap.before else {
                plan.unbounded.append(gap.damage)
                continue
            }
            if let after = gap.after {
                if after.sameFile(as: before) {
                    stretches.append(Stretch(file: before, range: min(before.offset, after.offset)..<max(before.end, after.end)))
                } else {
                    stretches.append(Stretch(file: before, range: before.offset..<Int64.max))
                    stretches.append(Stretch(file: after, range: 0..<after.end))
                }
            } else if let checkpoint = checkpoints.first(where: { $0.identity == FileIdentity(device: before.device, inode: before.inode) }) {
                stretches.append(Stretch(file: before, range: before.offset..<max(before.end, checkpoint.offset)))
            } else {
                stretches.append(Stretch(file: before, range: before.offset..<Int64.max))
            }
        }
        // Overlapping stretches of one file are read once.
        for stretch in stretches.sorted(by: { ($0.file.device, $0.file.inode, $0.range.lowerBound) < ($1.file.device, $1.file.inode, $1.range.lowerBound) }) {
            if let last = plan.stretches.indices.last, plan.stretches[last].file.sameFile(as: stretch.file),
                plan.stretches[last].range.upperBound >= stretch.range.lowerBound
            {
                let merged = plan.stretches[last].range
                plan.stretches[last].range = merged.lowerBound..<max(merged.upperBound, stretch.range.upperBound)
            } else {
                plan.stretches.append(stretch)
            }
        }
        return plan
    }

    /// Where each file source's files are (a path, or a glob whose directory is searched), with
    /// the origin its lines are ingested under.
    let sources: [(pattern: String, origin: IngestOrigin)]
    let limits: LineLimits
    let ingestor: Ingestor
    let logger: Logger
    let metrics: HeraldMetrics

    /// Reads the plan's stretches again and ingests their lines; logs what was recovered and what
    /// was not, and counts both. Returns the deliveries enqueued again.
    @discardableResult
    func run(_ plan: Plan, settled: @Sendable (String) -> Bool) async -> Int {
        var recovered = 0
        var unrecoverable = plan.unbounded.count
        for damage in plan.unbounded {
            logger.error("cannot recover the deliveries of a damaged journal stretch from the source: no intact record before it says where its lines were",
                         metadata: ["damage": "\(damage)"])
        }
        for stretch in plan.stretches {
            let identity = FileIdentity(device: stretch.file.device, inode: stretch.file.inode)
            let found = sources.lazy.compactMap { source in
                SourceRangeReader(
                    near: source.pattern, identity: identity, fingerprintLength: stretch.file.fingerprintLength,
                    fingerprintHash: stretch.file.fingerprintHash, hash: { SourcePosition.hash($0) }, range: stretch.range, limits: self.limits
                ).map { ($0, source.origin) }
            }.first
            guard let (reader, sourceOrigin) = found else {
                unrecoverable += 1
                logger.error("cannot recover the deliveries of a damaged journal stretch from the source: the file is gone", metadata: [
                    "identity": "\(identity)", "bytes": "\(Self.describe(stretch.range))",
                ])
                continue
            }
            let file = SourceFileStamp(identity: identity, fingerprintHash: stretch.file.fingerprintHash,
                                       fingerprintLength: stretch.file.fingerprintLength)
            var origin = sourceOrigin
            origin.metadata.file = reader.path
            var lines = 0, enqueued = 0
            do {
                var guardNone = RereadGuard(recovered: [])
                while let batch = try reader.next() {
                    lines += batch.count
                    enqueued += try await ingestor.ingest(LineBatch(lines: batch, checkpoint: nil), from: origin, reread: &guardNone, settled: settled,
                                                          file: file)
                }
            } catch {
                unrecoverable += 1
                logger.error("reading the source again after journal damage failed", metadata: [
                    "file": "\(reader.path)", "bytes": "\(Self.describe(stretch.range))", "error": "\(error)",
                ])
            }
            recovered += enqueued
            logger.warning("read source lines again to recover deliveries lost to journal damage", metadata: [
                "file": "\(reader.path)", "bytes": "\(Self.describe(stretch.range))", "lines": "\(lines)", "recovered": "\(enqueued)",
            ])
        }
        metrics.countSourceRecovery(recovered: recovered, unrecoverable: unrecoverable)
        return recovered
    }

    private static func describe(_ range: Range<Int64>) -> String {
        range.upperBound == .max ? "\(range.lowerBound)..<end" : "\(range.lowerBound)..<\(range.upperBound)"
    }
}
