import Glibc

extension DeadLetterStore {
    /// Runs a retention pass when there is work: the letters take more than `maxBytes`, the oldest
    /// is past `maxAge`, or the directory was not scanned yet (the first call, at start-up). A
    /// call with nothing to do costs a lock and two comparisons. Each pass is reported to
    /// `onRetention`.
    ///
    /// Called after each batch of letters is added, and by the sidecar at start-up and on a slow
    /// timer, always on the journal's writer thread (``Journal/applyRetention(to:now:)``): where
    /// letters are written, so a pass never races an add that replaces the letter it removes.
    @discardableResult
    public func applyRetention(now: Int64) -> DeadLetterRetention.Pass? {
        guard let retention else { return nil }
        let totals = usage.current
        guard !totals.scanned || retention.needsPass(bytes: totals.bytes, oldest: totals.oldest, now: now) else { return nil }
        let pass = runRetention(retention, now: now)
        onRetention(pass)
        return pass
    }

    private func runRetention(_ retention: DeadLetterRetention, now: Int64) -> DeadLetterRetention.Pass {
        var pass = DeadLetterRetention.Pass()
        let letters: [DeadLetterRetention.Letter]
        do throws(JournalError) {
            letters = try catalogue(now: now)
        } catch {
            pass.failure = error.message
            return pass
        }
        let decision = retention.decide(letters, now: now)
        pass.kept = decision.kept
        pass.keptBytes = decision.keptBytes
        var oldest = decision.oldestKept
        var unlinked = false
        for (letter, reason) in decision.remove {
            let path = "\(directory)/\(letter.name)"
            if Glibc.unlink(path) == 0 {
                unlinked = true
                pass.bytesRemoved += letter.bytes
                switch reason {
                case .maxBytes: pass.removedForBytes += 1
                case .maxAge: pass.removedForAge += 1
                }
            } else if Glibc.errno != ENOENT {  // ENOENT: replayed meanwhile, not ours to count
                if pass.failure == nil { pass.failure = FileIO.error("unlink", path).message }
                pass.kept += 1
                pass.keptBytes += letter.bytes
                oldest = min(oldest ?? letter.deadAt, letter.deadAt)
            }
        }
        if unlinked {
            do throws(JournalError) {
                try FileIO.fsyncDirectory(directory)
            } catch {
                if pass.failure == nil { pass.failure = error.message }
            }
        }
        usage.scanned(bytes: pass.keptBytes, oldest: oldest)
        return pass
    }

    /// Every letter file with the space it takes and its time (the file's modification time, which
    /// `add` sets to the dead-letter time). Links and other non-files are neither followed nor
    /// counted; temporary files abandoned by a crash over an hour ago are deleted on the way.
    func catalogue(now: Int64) throws(JournalError) -> [DeadLetterRetention.Letter] {
        var letters: [DeadLetterRetention.Letter] = []
        for name in try FileIO.list(directory) {
            let path = "\(directory)/\(name)"
            var info = stat()
            guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { continue }
            let modified = Int64(info.st_mtim.tv_sec) * 1000 + Int64(info.st_mtim.tv_nsec) / 1_000_000
            if name.hasPrefix(".tmp-") {
                if now - modified > 3_600_000 { try? FileIO.unlink(path) }
                continue
            }
            guard name.hasSuffix(Self.suffix), !name.hasPrefix(".") else { continue }
            letters.append(DeadLetterRetention.Letter(name: name, bytes: Int64(info.st_blocks) * 512, deadAt: modified))
        }
        return letters
    }
}
