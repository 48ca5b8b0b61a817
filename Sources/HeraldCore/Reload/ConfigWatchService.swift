import HeraldSource
import ServiceLifecycle

/// `watch: true`: looks at the config file's stamp every `interval` and reloads once a change
/// has held for two looks (``ConfigWatchState``).
///
/// It stays a poll because a Kubernetes ConfigMap changes by a symlink swap that a watch on
/// the file itself never sees. An inotify hint on the config's directory (when available)
/// makes the first look immediate; the confirming look still waits one interval, so a file
/// caught half-written is not loaded.
struct ConfigWatchService: Service {
    let path: String
    let reloader: Reloader
    let interval: Duration
    let hint: DirectoryWakeups?

    func run() async {
        await cancelWhenGracefulShutdown { [path, reloader, interval, hint] in
            var watch = ConfigWatchState(initial: Reloader.stamp(of: path))
            while !Task.isCancelled {
                if let hint, !watch.isSettling {
                    await hint.wait(timeout: interval)
                } else {
                    try? await Task.sleep(for: interval)
                }
                guard !Task.isCancelled else { return }
                if watch.observe(Reloader.stamp(of: path)) { reloader.reload(.watch) }
            }
        }
    }
}
