import Foundation
import HeraldJournal
import Logging

extension Sidecar {
    /// The delivery log in `state_dir/log/`, or nil when it is disabled or cannot be opened: it
    /// is observational, so a problem with it is logged and delivery goes on without it.
    static func openDeliveryLog(_ config: DeliveryLogConfig, in state: URL, logger: Logger) -> DeliveryLog? {
        guard config.enabled else { return nil }
        let directory = state.appendingPathComponent("log").path  // HeraldConfig.deliveryLogDirectory
        let options = DeliveryLogOptions(maxFileBytes: config.maxBytes, keep: config.keep)
        do {
            return try DeliveryLog(directory: directory, options: options) { problem in
                logger.warning("\(problem)", metadata: ["directory": "\(directory)"])
            }
        } catch {
            logger.error("cannot open the delivery log; delivering without it", metadata: ["directory": "\(directory)", "error": "\(error)"])
            return nil
        }
    }
}
