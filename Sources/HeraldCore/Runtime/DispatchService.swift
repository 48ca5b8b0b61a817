import ServiceLifecycle

/// Keeps the dispatcher delivering until graceful shutdown, then stops it in the documented
/// order: no new requests, those in flight get up to `shutdown_grace`, every outcome so far is
/// journaled. Runs after the ingest and replay services have stopped adding deliveries.
struct DispatchService: Service {
    let dispatcher: Dispatcher
    let shutdownGrace: Duration

    func run() async {
        // Cancellation (rather than a graceful shutdown) ends the wait too; the stop still runs.
        try? await gracefulShutdown()
        dispatcher.stop()
        _ = await dispatcher.waitForInFlight(timeout: shutdownGrace)
        await dispatcher.flush()
    }
}
