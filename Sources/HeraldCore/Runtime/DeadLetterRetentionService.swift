import HeraldJournal
import ServiceLifecycle

/// Applies dead-letter retention at start-up and then every `interval`, so that letters pass
/// `max_age` even when none are added (adds run their own pass). Each pass runs on the
/// journal's writer thread; this task only waits for it, on `clock`, which tests inject.
struct DeadLetterRetentionService<C: Clock<Duration>>: Service {
    let journal: Journal
    let letters: DeadLetterStore
    let interval: Duration
    let clock: C
    let now: @Sendable () -> Int64

    func run() async {
        await cancelWhenGracefulShutdown { [self] in
            while !Task.isCancelled {
                _ = await journal.applyRetention(to: letters, now: now())
                try? await clock.sleep(for: interval)
            }
        }
    }
}
