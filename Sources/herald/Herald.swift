import ArgumentParser
import Foundation
import HeraldCore
import HeraldHTTP

@main
struct Herald: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "herald",
        abstract: "Delivers the events your application writes as JSON lines to webhooks, durably.",
        discussion: "Start with `herald check` on your config, then `herald explain '{\"type\":\"order.created\"}'`.",
        version: "herald \(HeraldVersion.string), \(CurlVersion.current.summary)",
        subcommands: [RunCommand.self, CheckCommand.self, ExplainCommand.self, SendCommand.self, ListenCommand.self, LogCommand.self, DeadCommand.self, JournalCommand.self]
    )

    /// Exit codes: 0 success, 1 invalid config or input, 2 usage, 3 runtime failure.
    static func main() async {
        signal(SIGPIPE, SIG_IGN)
        // Before any signal source exists (PLATFORM.md): `run`'s ServiceGroup traps these with
        // Dispatch signal sources, which on Linux still fire for an ignored signal.
        if CommandLine.arguments.dropFirst().first == "run" {
            for number in [SIGHUP, SIGTERM, SIGINT] { signal(number, SIG_IGN) }
        }
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let exit as ExitCode {
            Foundation.exit(exit.rawValue)
        } catch {
            let code = exitCode(for: error)
            let message = fullMessage(for: error)
            if code == .success {
                print(message)
                Foundation.exit(0)
            }
            if !message.isEmpty { StandardStream.write(message + "\n") }
            Foundation.exit(code == .validationFailure ? ExitStatus.usage : (code == .failure ? ExitStatus.runtime : code.rawValue))
        }
    }
}

/// Herald's documented exit codes.
enum ExitStatus {
    static let invalid: Int32 = 1
    static let usage: Int32 = 2
    static let runtime: Int32 = 3
}

/// Flags every command that reads a config shares.
struct ConfigOptions: ParsableArguments {
    @Option(name: [.short, .customLong("config")], help: "The config file.")
    var config: String = "config.yaml"
}

/// Writes to standard error.
func printError(_ text: String) {
    StandardStream.write(text + "\n")
}

/// Loads the config or prints every problem and exits 1.
func loadConfigOrExit(_ path: String) -> HeraldConfig {
    switch ConfigLoader.load(path: path) {
    case .success(let config):
        return config
    case .failure(let errors):
        for diagnostic in errors.diagnostics { printError(diagnostic.description) }
        printError("\(errors.diagnostics.count) error\(errors.diagnostics.count == 1 ? "" : "s") in \(path)")
        Foundation.exit(ExitStatus.invalid)
    }
}
