import ArgumentParser
import Foundation
import HeraldCore

struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate a config file: exit 0 when valid, 1 with file:line:column errors when not.",
        discussion: "Run it in CI on every change to your config repository; it reads the environment for ${VAR} like `run` does."
    )

    @OptionGroup var options: ConfigOptions

    @Flag(help: "Print the result as JSON: {\"valid\", \"errors\": [{file, line, column, message, suggestion}]}.")
    var json = false

    func run() async throws {
        switch ConfigLoader.load(path: options.config) {
        case .success(let config):
            let warnings = ConfigWarnings.list(for: config)
            if json {
                printJSON(valid: true, errors: [], warnings: warnings)
            } else {
                for warning in warnings { printError("\(options.config): warning: \(warning)") }
                let enabled = config.endpoints.filter(\.enabled).count
                print("\(options.config): ok — \(config.routes.count) route\(config.routes.count == 1 ? "" : "s"), \(config.endpoints.count) endpoint\(config.endpoints.count == 1 ? "" : "s") (\(enabled) enabled)")
            }
        case .failure(let errors):
            if json {
                printJSON(valid: false, errors: errors.diagnostics, warnings: [])
            } else {
                for diagnostic in errors.diagnostics { printError(diagnostic.description) }
                printError("\(errors.diagnostics.count) error\(errors.diagnostics.count == 1 ? "" : "s") in \(options.config)")
            }
            throw ExitCode(ExitStatus.invalid)
        }
    }

    private func printJSON(valid: Bool, errors: [ConfigDiagnostic], warnings: [String]) {
        let items: [JSONValue] = errors.map { diagnostic in
            var object = JSONObject()
            object["file"] = .string(diagnostic.file)
            object["line"] = diagnostic.mark.map { .number(JSONNumber(Double($0.line))) } ?? .null
            object["column"] = diagnostic.mark.map { .number(JSONNumber(Double($0.column))) } ?? .null
            object["message"] = .string(diagnostic.message)
            object["suggestion"] = diagnostic.suggestion.map(JSONValue.string) ?? .null
            return .object(object)
        }
        var result = JSONObject()
        result["valid"] = .bool(valid)
        result["errors"] = .array(items)
        result["warnings"] = .array(warnings.map(JSONValue.string))
        print(JSONWriter.encode(.object(result)))
    }
}
