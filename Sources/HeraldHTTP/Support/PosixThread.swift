#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The closure a new POSIX thread runs, passed through `pthread_create`'s context pointer.
private final class ThreadStart {
    let name: String?
    let body: @Sendable () -> Void

    init(name: String?, _ body: @escaping @Sendable () -> Void) {
        self.name = name
        self.body = body
    }

    func run() {
        if let name { setCurrentThreadName(name) }
        body()
    }
}

/// A plain OS thread, for loops that block in `poll` or `recv` and must stay off Swift's cooperative pool.
public struct PosixThread: @unchecked Sendable {
    private let id: pthread_t

    /// Starts `body` on a new thread; `nil` when the system refuses to create one.
    public static func start(
        name: String? = nil,
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
        let context = Unmanaged.passRetained(ThreadStart(name: name, body)).toOpaque()
        var id = pthread_t()
        let rc = pthread_create(
            &id, attributes,
            { raw in
                guard let raw else { return nil }
                Unmanaged<ThreadStart>.fromOpaque(raw).takeRetainedValue().run()
                return nil
            }, context)
        if rc != 0 {
            Unmanaged<ThreadStart>.fromOpaque(context).release()
            return nil
        }
        return PosixThread(id: id)
    }

    /// Waits for a thread started with `detached: false` to return.
    public func join() {
        pthread_join(id, nil)
    }

    /// Whether the caller is running on this thread.
    public var isCurrent: Bool {
        pthread_equal(id, pthread_self()) != 0
    }
}

/// Names the calling thread for ps, top and perf (Linux keeps 15 bytes); best effort.
private func setCurrentThreadName(_ name: String) {
    #if os(Linux)
    let fd = open("/proc/thread-self/comm", O_WRONLY)
    guard fd >= 0 else { return }
    let bytes = Array(name.utf8.prefix(15))
    _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    close(fd)
    #endif
}
