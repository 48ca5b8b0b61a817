import HeraldHTTP
import ArgumentParser
import Foundation
import HeraldCore

struct ExplainCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "Show which routes an event matches and the exact requests Herald would send. Sends nothing.",
        discussion: """
            The event comes from the argument, or else one event per line from standard input:
              herald explain '{"type":"order.created","id":"o-1","data":{"currency":"EUR"}}'
              tail -n 3 events.jsonl | herald explain
            Credentials and configured secrets are shown as [redacted].
            """
    )

    @OptionGroup var options: ConfigOptions

    @Argument(help: "An event as one JSON object; read from standard input when omitted.")
    var event: String?

    @Option(help: "The source the event is taken to come from (its $source); the first source when omitted.")
    var source: String?

    @Option(help: "The file the event is taken to come from (its $file); the source's file when it has one.")
    var file: String?

    func run() async throws {
        let config = loadConfigOrExit(options.config)
        if let source, !config.sources.contains(where: { $0.name == source }) {
            printError("herald explain: no source named '\(source)' (the config has \(config.sources.map { "'\($0.name)'" }.joined(separator: ", ")))")
            throw ExitCode(ExitStatus.usage)
        }
        let router = Router(config: config)
        let redactor = Redactor(config: config)
        let lines: [[UInt8]]
        if let event {
            lines = [Array(event.utf8)]
        } else {
            let input = FileHandle.standardInput.readDataToEndOfFile()
            lines = input.split(separator: 0x0A).map { Array($0) }.filter { !$0.allSatisfy { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D } }
        }
        guard !lines.isEmpty else {
            printError("herald explain: no event given (pass one as an argument or on standard input)")
            throw ExitCode(ExitStatus.usage)
        }
        var failed = false
        let timestamp = Int64(Date().timeIntervalSince1970)
        for (index, line) in lines.enumerated() {
            if index > 0 { Swift.print("") }
            let explanation = Explanation(line: line, config: config, router: router, timestamp: timestamp, source: source, file: file)
            failed = report(explanation, redactor: redactor, endpoints: Dictionary(config.endpoints.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })) || failed
        }
        if failed { throw ExitCode(ExitStatus.invalid) }
    }

    /// Prints one explanation; returns true when the event was rejected.
    private func report(_ explanation: Explanation, redactor: Redactor, endpoints: [String: EndpointConfig]) -> Bool {
        switch explanation.outcome {
        case .rejected(let rejection):
            Swift.print("rejected (\(rejection.reason.rawValue)): \(rejection.message)")
            return true
        case .routed(let event, let deliveries):
            let idNote = event.idIsDerived ? " (derived from the line: the event has no id field)" : ""
            Swift.print("event \(event.type) id \(event.id)\(idNote)")
            if deliveries.isEmpty && explanation.disabled.isEmpty {
                Swift.print("matches no route: it would be counted as unrouted and not sent")
            }
            for delivery in deliveries {
                Swift.print("\nroute \(delivery.route) -> endpoint \(delivery.endpoint)")
                switch delivery.request {
                case .failure(let failure):
                    Swift.print("  cannot build the request: \(failure.message)")
                case .success(let request):
                    Swift.print("  \(request.method) \(redactor.redact(request.url))")
                    for header in request.headers.map(redactor.redact(header:)) {
                        Swift.print("  \(header.name): \(header.value)")
                    }
                    if let oauth2 = endpoints[delivery.endpoint]?.oauth2 {
                        Swift.print("  Authorization: Bearer [a token from \(redactor.redact(oauth2.tokenURL)), fetched when the request is sent]")
                    }
                    Swift.print("")
                    for line in BodyPreview.lines(of: request) { Swift.print(line.isEmpty ? "" : "  " + redactor.redact(line)) }
                }
            }
            for (route, endpoint) in explanation.disabled {
                Swift.print("\nroute \(route) -> endpoint \(endpoint): disabled (enabled: false), receives nothing")
            }
            if !explanation.unmatched.isEmpty { Swift.print("\nroutes not matched:") }
            for (route, reason) in explanation.unmatched {
                Swift.print("  \(route): \(redactor.redact(reason))")
            }
            return false
        }
    }
}
