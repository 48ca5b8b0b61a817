import Dispatch

/// Where a line source does its blocking work: a private dispatch queue that serves one
/// ``next(_:)`` at a time, so the cooperative pool is never blocked. ``stop()`` and the calling
/// task's cancellation raise a flag and wake the `poll` the producer may be waiting in.
final class ProducerQueue: Sendable {
    /// The producer polls its end together with what it waits for.
    let waker = Waker()
    private let queue: DispatchQueue
    private let stopped = CancellationFlag()

    init(label: String) {
        queue = DispatchQueue(label: label)
    }

    /// Runs `produce` on the queue; nil at once after ``stop()``.
    func next(_ produce: @escaping @Sendable (_ stopped: CancellationFlag, _ cancelled: CancellationFlag) throws -> LineBatch?) async throws -> LineBatch? {
        if stopped.isSet { return nil }
        let cancelled = CancellationFlag()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<LineBatch?, any Error>) in
                queue.async { [stopped] in continuation.resume(with: Result { try produce(stopped, cancelled) }) }
            }
        } onCancel: { [waker] in
            cancelled.set()
            waker.wake()
        }
    }

    func stop() {
        stopped.set()
        waker.wake()
    }
}
