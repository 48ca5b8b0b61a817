import ArgumentParser
import Foundation
import HeraldCore
import HeraldHTTP

struct SendCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "send",
        abstract: "Deliver one test event to one endpoint now and print the response.",
        discussion: """
            The event is shaped by the first route that matches it and sends to the endpoint (or sent
            as is when none does), signed and headed exactly as `herald run` would send it. Nothing is
            journaled and nothing is retried. Exit 0 on a 2xx answer, 3 otherwise.
              herald send --endpoint erp '{"type":"order.created","id":"test-1","data":{"currency":"EUR"}}'
            """
    )

    @OptionGroup var options: ConfigOptions

    @Option(help: "The endpoint to send to.")
    var endpoint: String

    @Argument(help: "The event as one JSON object; read from standard input when omitted.")
    var event: String?

    func run() async throws {
        let config = loadConfigOrExit(options.config)
        guard let target = config.endpoint(named: endpoint) else {
            let names = config.endpoints.map(\.name)
            printError("herald send: no endpoint '\(endpoint)' in \(options.config) (endpoints: \(names.joined(separator: ", ")))")
            throw ExitCode(ExitStatus.invalid)
        }
        let line = event.map { Array($0.utf8) } ?? Array(FileHandle.standardInput.readDataToEndOfFile().prefix { $0 != 0x0A })
        let decoder = EventDecoder(typeField: config.source.typeField, idField: config.source.idField, maxLineBytes: config.source.maxLineBytes)
        let decoded: Event
        switch decoder.decode(line) {
        case .failure(let rejection):
            printError("herald send: the event is rejected (\(rejection.reason.rawValue)): \(rejection.message)")
            throw ExitCode(ExitStatus.invalid)
        case .success(let value):
            decoded = value
        }
        let route = Router(config: config).match(decoded).first { $0.route.to.contains(endpoint) }?.route
            ?? RouteConfig(name: "herald-send", events: [], to: [endpoint], transform: nil, template: nil)
        let timestamp = Int64(Date().timeIntervalSince1970)
        let request: DeliveryRequest
        do {
            request = try RequestRenderer.request(for: decoded, route: route, endpoint: target, timestamp: timestamp)
        } catch {
            printError("herald send: cannot build the request: \(error)")
            throw ExitCode(ExitStatus.invalid)
        }
        let redactor = Redactor(config: config)
        print("> \(request.method) \(redactor.redact(request.url))  (route \(route.name))")
        for header in request.headers.map(redactor.redact(header:)) { print("> \(header.name): \(header.value)") }
        print(">")
        let client = try HTTPClient()
        defer { client.shutdown() }
        let result = await client.send(HTTPRequest(method: request.method, url: request.url, headers: request.headers, body: request.body,
                                                   timeout: target.timeout, tls: target.tls, proxy: target.proxy))
        let milliseconds = Double(result.duration.components.attoseconds) / 1e15 + Double(result.duration.components.seconds) * 1000
        guard let status = result.status else {
            print(String(format: "< no response after %.1f ms: %@", milliseconds, redactor.redact(result.error?.description ?? "unknown error")))
            throw ExitCode(ExitStatus.runtime)
        }
        print(String(format: "< HTTP %d in %.1f ms (HTTP/%@, %@ connection)", status, milliseconds, result.httpVersion, result.connectionReused ? "reused" : "new"))
        // The receiver's answer reaches the terminal with its control characters escaped (its lines kept).
        for header in result.headers.map(redactor.redact(header:)) { print("< \(ControlCharacters.escaped(header.name)): \(ControlCharacters.escaped(header.value))") }
        if !result.body.isEmpty {
            print("<")
            let body = redactor.redact(String(decoding: result.body.prefix(4096), as: UTF8.self))
            print(body.split(separator: "\n", omittingEmptySubsequences: false).map { ControlCharacters.escaped(String($0)) }.joined(separator: "\n")
                + (result.body.count > 4096 || result.bodyTruncated ? "\n< (truncated)" : ""))
        }
        if !(200..<300).contains(status) { throw ExitCode(ExitStatus.runtime) }
    }
}
