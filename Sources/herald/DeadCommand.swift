import ArgumentParser
import Foundation
import HeraldCore
import HeraldJournal

struct DeadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dead",
        abstract: "Inspect and replay dead letters: deliveries Herald gave up on.",
        subcommands: [DeadListCommand.self, DeadReplayCommand.self]
    )
}

/// Filters shared by `dead list` and `dead replay`.
struct DeadLetterFilter: ParsableArguments {
    @Option(help: "Only this endpoint.") var endpoint: String?
    @Option(help: "Only this route.") var route: String?
    @Option(name: .customLong("event-type"), help: "Only this event type (globs allowed, e.g. 'order.*').") var eventType: String?
    @Option(help: "Only these delivery ids (webhook-id); repeatable.") var id: [String] = []

    func matches(_ letter: DeadLetter) -> Bool {
        if let endpoint, letter.delivery.endpoint != endpoint { return false }
        if let route, letter.delivery.route != route { return false }
        if let eventType, !(EventPattern(eventType)?.matches(letter.delivery.eventType) ?? false) { return false }
        if !id.isEmpty, !id.contains(letter.delivery.id) { return false }
        return true
    }
}

func deadLetterStore(for config: HeraldConfig) throws -> DeadLetterStore {
    try DeadLetterStore(directory: URL(fileURLWithPath: config.stateDir).appendingPathComponent("dead").path)
}

struct DeadListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List dead letters, newest first.")

    @OptionGroup var options: ConfigOptions
    @OptionGroup var filter: DeadLetterFilter
    @Flag(help: "One JSON object per line.") var json = false

    func run() async throws {
        let config = loadConfigOrExit(options.config)
        guard FileManager.default.fileExists(atPath: config.stateDir) else {
            if !json { print("no dead letters (no state in \(config.stateDir) yet)") }
            return
        }
        let (all, unreadable) = try deadLetterStore(for: config).scan()
        let letters = all.filter(filter.matches)
        if !unreadable.isEmpty {
            // Left in place for an operator; never skipped silently.
            FileHandle.standardError.write(Data(("herald: \(unreadable.count) dead-letter file\(unreadable.count == 1 ? "" : "s") could not be read and "
                + "\(unreadable.count == 1 ? "is" : "are") not listed (left in place in \(config.stateDir)/dead): "
                + unreadable.map { ControlCharacters.escaped($0) }.joined(separator: ", ") + "\n").utf8))
        }
        if json {
            for letter in letters {
                var object = JSONObject()
                object["id"] = .string(letter.delivery.id)
                object["dead_at"] = .string(iso8601(letter.deadAt))
                object["endpoint"] = .string(letter.delivery.endpoint)
                object["route"] = .string(letter.delivery.route)
                object["event_id"] = .string(letter.delivery.eventID)
                object["event_type"] = .string(letter.delivery.eventType)
                object["attempts"] = .number(JSONNumber(Double(letter.delivery.attempts)))
                object["reason"] = .string(letter.reason)
                if let key = letter.delivery.orderingKey { object["ordering_key"] = .string(key) }
                print(ControlCharacters.escapedJSON(JSONWriter.encode(.object(object))))
            }
            return
        }
        guard !letters.isEmpty else {
            print("no dead letters")
            return
        }
        // Event fields and receivers' answers reach the terminal escaped: an ESC in them must not act.
        let shown = { (text: String) in ControlCharacters.escaped(text) }
        for letter in letters {
            let d = letter.delivery
            let key = d.orderingKey.map { "  key \(shown($0))" } ?? ""
            print("\(iso8601(letter.deadAt))  \(d.id)  \(shown(d.endpoint))  \(shown(d.route))  \(shown(d.eventType))  event \(shown(d.eventID))  attempts \(d.attempts)\(key)\n    \(shown(letter.reason))")
        }
        print("\(letters.count) dead letter\(letters.count == 1 ? "" : "s")")
    }
}

struct DeadReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Send dead letters again (with fresh retries).",
        discussion: """
            Writes a replay request to state_dir/replay/. A running `herald run` picks it up at once;
            if none is running, the next start does. The replayed deliveries keep their webhook-id,
            so receivers can still deduplicate them; with per-key ordering each goes to the back of
            its key.
            """
    )

    @OptionGroup var options: ConfigOptions
    @OptionGroup var filter: DeadLetterFilter

    func run() async throws {
        let config = loadConfigOrExit(options.config)
        let letters = FileManager.default.fileExists(atPath: config.stateDir) ? try deadLetterStore(for: config).list().filter(filter.matches) : []
        guard !letters.isEmpty else {
            print("no dead letters match")
            return
        }
        let spool = try ReplaySpool(directory: URL(fileURLWithPath: config.stateDir).appendingPathComponent("replay").path)
        try spool.submit(ids: letters.map(\.delivery.id))
        print("queued \(letters.count) dead letter\(letters.count == 1 ? "" : "s") for replay; a running herald picks them up at once, otherwise the next `herald run` does")
    }
}

func iso8601(_ milliseconds: Int64) -> String { UnixTime.rfc3339(milliseconds) }
