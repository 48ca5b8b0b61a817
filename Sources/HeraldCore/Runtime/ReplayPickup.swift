import HeraldSource
import ServiceLifecycle

/// Takes `herald dead replay` requests from the spool: once at start (requests left while no
/// sidecar ran), then whenever inotify reports a request file renamed into `state_dir/replay/`.
/// Without inotify it looks every `fallbackInterval` instead.
struct ReplayPickup: Service {
    let replayer: Replayer
    let wakeups: DirectoryWakeups?
    let fallbackInterval: Duration

    func run() async {
        await cancelWhenGracefulShutdown { [replayer, wakeups, fallbackInterval] in
            // The watch exists before this first take, so a request arriving during it is not missed.
            await replayer.takeRequests()
            while !Task.isCancelled {
                if let wakeups {
                    await wakeups.wait()
                } else {
                    try? await Task.sleep(for: fallbackInterval)
                }
                guard !Task.isCancelled else { return }
                await replayer.takeRequests()
            }
        }
    }
}
