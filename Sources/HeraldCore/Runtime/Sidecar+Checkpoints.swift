import Foundation
import HeraldSource
import Logging

extension Sidecar {
    /// Where a file source's checkpoints live. A single file of an unnamed source keeps the
    /// state directory's `checkpoint.json`, as before sources could be several; any other file
    /// source keeps one per file in `checkpoints/<name>/`. A `checkpoint.json` left by the
    /// single-source form is moved there for the file it names, so that turning `source:` into a
    /// list does not read the file again from its start.
    static func checkpoints(for source: SourceConfig, listed: Bool, in state: URL, logger: Logger) throws -> FileSetReader.Checkpoints {
        let legacy = CheckpointStore(path: state.appendingPathComponent("checkpoint.json").path)
        guard listed || source.isGlob, let pattern = source.filePattern else { return .single(legacy) }
        let directory = CheckpointDirectory(directory: state.appendingPathComponent("checkpoints").appendingPathComponent(source.name).path)
        guard let old = try? legacy.load() else { return .perPath(directory) }
        let glob = FileGlob(pattern)
        let matches = source.isGlob
            ? (old.path as NSString).deletingLastPathComponent == glob.directory && glob.matches(name: (old.path as NSString).lastPathComponent)
            : old.path == pattern
        guard matches else { return .perPath(directory) }
        try directory.create()
        let store = directory.store(for: old.path)
        if (try? store.load()) ?? nil == nil {
            try store.save(old)
            logger.info("moved the single source's checkpoint to the source's own", metadata: ["source": "\(source.name)", "file": "\(old.path)"])
        }
        unlink(legacy.path)
        return .perPath(directory)
    }
}
