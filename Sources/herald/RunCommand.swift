import ArgumentParser
import Foundation
import HeraldCore

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the sidecar: read events, route them and deliver them."
    )

    @OptionGroup var options: ConfigOptions

    func run() async throws {
        _ = loadConfigOrExit(options.config)
        printError("""
            herald run: delivery is not implemented in this version yet, so nothing would be sent.
            The config is valid; use `herald explain` to see the requests each event would produce.
            """)
        throw ExitCode(ExitStatus.runtime)
    }
}
