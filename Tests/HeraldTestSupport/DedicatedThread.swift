import HeraldHTTP

/// Runs blocking `work` (waitpid, a child's run, a blocking read) on a thread of its own and resumes the caller
/// with its result.
///
/// Swift's cooperative pool has one thread per core, two on CI: a test that blocks one of them stalls every other
/// test's continuations, and timing assertions in unrelated tests fail. Blocking work therefore never runs on it.
public func onDedicatedThread<T: Sendable, E: Error>(_ work: @escaping @Sendable () throws(E) -> T) async throws(E) -> T {
    let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<T, E>, Never>) in
        detachThread { continuation.resume(returning: Result { () throws(E) -> T in try work() }) }
    }
    return try result.get()
}

/// Starts `work` on a detached thread of its own and returns at once (for clean-up in a `deinit`); runs it
/// inline only when the system refuses to create a thread.
public func detachThread(_ work: @escaping @Sendable () -> Void) {
    if PosixThread.start(name: "test-blocking", detached: true, work) == nil { work() }
}
