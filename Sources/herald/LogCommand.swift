import ArgumentParser
import Foundation
import HeraldCore
import HeraldJournal

struct LogCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "log",
        abstract: "Show delivery attempts from the delivery log, newest first.",
        discussion: """
            Every attempt `herald run` makes is logged in state_dir/log/: where it went, when, the
            response status or error and the start of the response body. Filters combine; a page
            ends with the --cursor that shows the next one (give the same filters with it).
            Examples: `herald log --status failed --since 1h`, `herald log --endpoint erp --json`.
            """
    )

    @OptionGroup var options: ConfigOptions
    @Option(help: "Only this endpoint.") var endpoint: String?
    @Option(help: "Only this route.") var route: String?
    @Option(name: .customLong("event-type"), help: "Only this event type (globs allowed, e.g. 'order.*').") var eventType: String?
    @Option(help: "failed (no 2xx), delivered (2xx), error (no response), a code like 503 or a class like 5xx.") var status: String?
    @Option(help: "Only attempts since a time: a duration back from now (30m, 1h, 3d) or an RFC 3339 time.") var since: String?
    @Option(help: "At most this many attempts (1…1000).") var limit: Int = DeliveryLogQuery.defaultLimit
    @Option(help: "Continue after a previous page (printed at its end).") var cursor: String?
    @Flag(help: "One JSON object per line; the next page's cursor goes to standard error.") var json = false

    func run() async throws {
        let config = loadConfigOrExit(options.config)
        var parameters: [(String, String)] = [("limit", "\(limit)")]
        for (name, value) in [("endpoint", endpoint), ("route", route), ("event_type", eventType), ("status", status), ("since", since), ("cursor", cursor)] {
            if let value { parameters.append((name, value)) }
        }
        let query: DeliveryLogQuery
        switch DeliveryLogQuery.parse(parameters, now: UnixTime.milliseconds()) {
        case .success(let parsed): query = parsed
        case .failure(let error):
            printError(error.commandLineDescription)
            throw ExitCode(ExitStatus.usage)
        }
        let reader = DeliveryLogReader(directory: config.deliveryLogDirectory)
        let page: DeliveryLogPage
        do {
            guard try reader.exists() else {
                if !json {
                    print(config.deliveryLog.enabled
                        ? "no delivery attempts logged yet (\(config.deliveryLogDirectory) is empty)"
                        : "the delivery log is off (delivery_log.enabled: false in \(options.config))")
                }
                return
            }
            page = try reader.query(query)
        } catch {
            printError("cannot read the delivery log: \(error.message)")
            throw ExitCode(ExitStatus.runtime)
        }
        if json {
            // JSON may carry DEL, C1 and U+2028/2029 raw inside strings; a terminal must not.
            for item in page.items { print(ControlCharacters.escapedJSON(item.json)) }
            if let next = page.nextCursor { printError("next page: --cursor \(next)") }
            return
        }
        guard !page.items.isEmpty else {
            print(query.cursor == nil ? "no delivery attempts match" : "no more delivery attempts match")
            return
        }
        for item in page.items { print(Self.describe(item)) }
        let count = "\(page.items.count) attempt\(page.items.count == 1 ? "" : "s"), newest first"
        print(page.nextCursor.map { "\(count); next page: --cursor \($0)" } ?? count)
    }

    /// `TIME  STATUS  ENDPOINT  ROUTE  TYPE  event ID  attempt N  DURATION  DELIVERY_ID`, then the
    /// error or the start of the response body on an indented line. Everything that came from an
    /// event or a receiver has its control characters escaped: an ESC in a response body must not
    /// reach the terminal.
    static func describe(_ item: DeliveryAttemptRecord) -> String {
        let status = item.status.map { "\($0)" } ?? "ERR"
        let micros = item.durationMicroseconds
        let duration = micros >= 10_000 ? "\(micros / 1000)ms" : "\(micros / 1000).\(String(micros % 1000 / 10 + 100).dropFirst())ms"
        let shown = { (text: String) in ControlCharacters.escaped(text) }
        var text = "\(iso8601(item.time))  \(status)  \(shown(item.endpoint))  \(shown(item.route))  \(shown(item.eventType))  event \(shown(item.eventID))  attempt \(item.attempt)  \(duration)  \(shown(item.deliveryID))"
        if let error = item.error {
            text += "\n    error: \(shown(error))"
        } else if let body = item.response.text, !body.isEmpty {
            let line = body.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\n", with: "⏎")
            let cut = line.count > 160 ? line.prefix(160) + "…" : line
            text += "\n    response: \(shown(String(cut)))\(item.response.truncated && line.count <= 160 ? "…" : "")"
        } else if item.response.text == nil {
            text += "\n    response: (binary body, not logged)"
        }
        return text
    }
}
