import Synchronization

/// A flag that any thread sets and one waiter consumes, resuming it if it is waiting: a wake-up
/// that is never lost (set before the wait, the wait returns at once) and never blocks a thread.
public final class WakeLatch: Sendable {
    private struct State {
        var isSet = false
        var waiter: (id: UInt64, continuation: CheckedContinuation<Void, Never>)?
        var nextID: UInt64 = 0
    }

    private let state = Mutex(State())

    public init() {}

    public func set() {
        let waiter = state.withLock { state in
            defer { state.waiter = nil }
            state.isSet = state.waiter == nil
            return state.waiter
        }
        waiter?.continuation.resume()
    }

    public func wait() async {
        let id = state.withLock { state in
            defer { state.nextID += 1 }
            return state.nextID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                // Cancellation is checked under the lock: a handler that ran before registration
                // found no waiter, and the cancelled flag it follows is already visible here.
                let now = state.withLock { state in
                    if state.isSet {
                        state.isSet = false
                        return true
                    }
                    if Task.isCancelled { return true }
                    state.waiter = (id, continuation)
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { state in
                guard state.waiter?.id == id else { return nil as CheckedContinuation<Void, Never>? }
                defer { state.waiter = nil }
                return state.waiter?.continuation
            }
            waiter?.resume()
        }
    }
}

extension WakeLatch {
    /// Returns once set (at once if it already is), after `timeout`, or on cancellation.
    public func wait(timeout: Duration) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.wait() }
            group.addTask { try? await Task.sleep(for: timeout) }
            await group.next()
            group.cancelAll()
        }
    }
}
