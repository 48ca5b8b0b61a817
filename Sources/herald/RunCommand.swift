import ArgumentParser
import CMalloc
import Foundation
import HeraldAdmin
import HeraldCore
import HeraldJournal
import Logging
import Prometheus

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the sidecar: read events, route them and deliver them, durably.",
        discussion: """
            Tails source.file (or reads standard input with source.stdin), journals every delivery in
            state_dir before its position is committed, and delivers with retries. SIGTERM or SIGINT:
            stop reading, let requests in flight finish within shutdown_grace, exit 0; what is left
            stays journaled for the next run. SIGHUP: reload the config file. With stdin, exits once
            the input has ended and every delivery finished, or drain_timeout passed.
            """
    )

    @OptionGroup var options: ConfigOptions
    @OptionGroup var logging: LoggingOptions

    func run() async throws {
        // A fixed mmap threshold: glibc's adaptive one lets the index's large tables (freed when
        // they grow) stay in the heap, and a long-running sidecar's RSS then never comes down.
        _ = mallopt(M_MMAP_THRESHOLD, 128 * 1024)
        _ = mallopt(M_TRIM_THRESHOLD, 128 * 1024)
        let config = loadConfigOrExit(options.config)
        logging.bootstrap()
        let logger = Logger(label: "herald")
        for warning in ConfigWarnings.list(for: config) { logger.warning("\(warning)") }
        let registry = PrometheusCollectorRegistry()
        let metrics = config.admin.map { _ in
            HeraldMetrics(endpoints: config.endpoints.map(\.name), factory: PrometheusSetup.factory(registry: registry))
        }
        let sidecar = Sidecar(config: config, logger: logger, metrics: metrics)
        do {
            if let admin = config.admin {
                let routes = AdminRoutes(registry: registry, readiness: sidecar.readiness,
                                         deliveries: config.deliveryLog.enabled ? deliveryLogQuery(directory: config.deliveryLogDirectory) : nil,
                                         token: admin.token.map(AdminToken.init))
                try await sidecar.run(alongside: [AdminServer(host: admin.host, port: admin.port, routes: routes, logger: logger)],
                                      ingestListener: { IngestServer(sink: $0, logger: logger) })
            } else {
                try await sidecar.run(ingestListener: { IngestServer(sink: $0, logger: logger) })
            }
        } catch let error as ListenerStartError {
            logger.critical("\(error)")
            throw ExitCode(ExitStatus.runtime)
        } catch let error as JournalError where error.code == .locked {
            logger.critical("another herald is already running on this state_dir", metadata: ["state_dir": "\(config.stateDir)"])
            throw ExitCode(ExitStatus.runtime)
        } catch {
            logger.critical("herald stopped on an error", metadata: ["error": "\(error)"])
            throw ExitCode(ExitStatus.runtime)
        }
    }
}

/// `--log-format` and `--log-level`, shared by long-running commands.
struct LoggingOptions: ParsableArguments {
    @Option(help: "Log format: logfmt or json.")
    var logFormat: LogfmtLogHandler.Format = .logfmt

    @Option(help: "Log level: trace, debug, info, notice, warning, error or critical.")
    var logLevel: Logger.Level = .info

    func bootstrap() {
        let format = logFormat, level = logLevel
        LoggingSystem.bootstrap { label in LogfmtLogHandler(label: label, format: format, level: level, secrets: .shared) }
    }
}

extension LogfmtLogHandler.Format: ExpressibleByArgument {}
extension Logger.Level: @retroactive ExpressibleByArgument {}
