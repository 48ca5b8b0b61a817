import Synchronization

/// A flag raised from one thread (a stop, a task's cancellation handler) and read by the thread that
/// waits on its behalf.
final class CancellationFlag: Sendable {
    private let flag = Atomic<Bool>(false)

    var isSet: Bool { flag.load(ordering: .acquiring) }

    func set() {
        flag.store(true, ordering: .releasing)
    }
}
