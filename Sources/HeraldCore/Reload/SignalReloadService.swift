import ServiceLifecycle
import UnixSignals

/// Reloads the config file on each SIGHUP until graceful shutdown.
///
/// The signal sequence is made before the group runs (see `Sidecar.run`), so a SIGHUP sent
/// once "herald running" is logged always reloads and never hits the ignored disposition.
struct SignalReloadService: Service {
    let signals: UnixSignalsSequence
    let reloader: Reloader

    func run() async {
        for await _ in signals.cancelOnGracefulShutdown() {
            reloader.reload(.signal)
        }
    }
}
