#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The closure a new POSIX thread runs, passed through `pthread_create`'s context pointer.
private final class ThreadStart {
    let body: @Sendable () -> Void
    init(_ body: @escaping @Sendable () -> Void) { self.body = body }
}

/// A plain OS thread, for loops that block in `poll` or `recv` and must stay off Swift's cooperative pool.
struct PosixThread: @unchecked Sendable {
    private let id: pthread_t

    /// Starts `body` on a new thread; `nil` when the system refuses to create one.
    static func start(
        detached: Bool = false,
        stackSize: Int = 0,
        _ body: @escaping @Sendable () -> Void
    ) -> PosixThread? {
        let attributes = UnsafeMutablePointer<pthread_attr_t>.allocate(capacity: 1)
        pthread_attr_init(attributes)
        defer {
            pthread_attr_destroy(attributes)
            attributes.deallocate()
        }
        if stackSize > 0 { pthread_attr_setstacksize(attributes, stackSize) }
        if detached { pthread_attr_setdetachstate(attributes, Int32(PTHREAD_CREATE_DETACHED)) }
        let context = Unmanaged.passRetained(ThreadStart(body)).toOpaque()
        var id = pthread_t()
        let rc = pthread_create(
            &id, attributes,
            { raw in
                guard let raw else { return nil }
                Unmanaged<ThreadStart>.fromOpaque(raw).takeRetainedValue().body()
                return nil
            }, context)
        if rc != 0 {
            Unmanaged<ThreadStart>.fromOpaque(context).release()
            return nil
        }
        return PosixThread(id: id)
    }

    /// Waits for a thread started with `detached: false` to return.
    func join() {
        pthread_join(id, nil)
    }

    /// Whether the caller is running on this thread.
    var isCurrent: Bool {
        pthread_equal(id, pthread_self()) != 0
    }
}
