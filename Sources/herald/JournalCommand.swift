import ArgumentParser
import Foundation
import HeraldCore
import HeraldJournal

struct JournalCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "journal",
        abstract: "Inspect the delivery journal.",
        subcommands: [JournalVerifyCommand.self]
    )
}

struct JournalVerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Read the journal as start-up would and report segments, records, pending deliveries and damage.",
        discussion: """
            Changes nothing and takes no lock, so it can run beside a running herald (whose last record \
            may then show as a torn tail: a write in progress). Exit status 0 when no damage is found, \
            1 when some is, 3 when the journal cannot be read.
            """
    )

    @OptionGroup var options: ConfigOptions
    @Flag(help: "One JSON object.") var json = false

    func run() async throws {
        let config = loadConfigOrExit(options.config)
        let directory = URL(fileURLWithPath: config.stateDir).appendingPathComponent("journal").path
        let report: JournalVerification
        do {
            report = try Journal.verify(directory: directory)
        } catch {
            StandardStream.write("herald: cannot verify the journal in \(directory): \(error.message)\n")
            throw ExitCode(ExitStatus.runtime)
        }
        if json {
            print(JSONWriter.encode(.object(Self.object(report, directory: directory))))
        } else {
            print(Self.text(report, directory: directory), terminator: "")
        }
        if !report.isClean { throw ExitCode(ExitStatus.invalid) }
    }

    static func text(_ report: JournalVerification, directory: String) -> String {
        var out = "journal \(directory)\n"
        out += "  segments: \(report.segments.count), \(report.segments.reduce(Int64(0)) { $0 + $1.bytes }) bytes; records: \(report.recordsRead)\n"
        for segment in report.segments {
            out += "    \(segment.name)  \(segment.bytes) bytes  \(segment.pending) pending\n"
        }
        out += "  pending: \(report.pending)"
        if !report.pendingByEndpoint.isEmpty {
            out += " (" + report.pendingByEndpoint.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ") + ")"
        }
        out += "\n"
        if let torn = report.tornTail { out += "  torn tail: \(torn) (start-up truncates it)\n" }
        if report.damage.isEmpty {
            out += "  damage: none\n"
        } else {
            out += "  damage: \(report.damage.count) stretch(es), \(report.damage.reduce(Int64(0)) { $0 + $1.length }) bytes unreadable\n"
            for damage in report.damage { out += "    \(damage)\n" }
            out += "  start-up reads past the damage, keeps every intact record and copies these segments to quarantine/\n"
            out += "  \(report.boundedBySource) of \(report.damage.count) stretch(es) bounded by source positions: start-up reads their lines again "
                + "from the source file if it is still there; the rest are lost\n"
        }
        return out
    }

    static func object(_ report: JournalVerification, directory: String) -> JSONObject {
        var object = JSONObject()
        object["directory"] = .string(directory)
        object["records"] = .number(JSONNumber(Double(report.recordsRead)))
        object["pending"] = .number(JSONNumber(Double(report.pending)))
        var byEndpoint = JSONObject()
        for (name, count) in report.pendingByEndpoint.sorted(by: { $0.key < $1.key }) { byEndpoint[name] = .number(JSONNumber(Double(count))) }
        object["pending_by_endpoint"] = .object(byEndpoint)
        object["segments"] = .array(report.segments.map { segment in
            var item = JSONObject()
            item["name"] = .string(segment.name)
            item["bytes"] = .number(JSONNumber(Double(segment.bytes)))
            item["pending"] = .number(JSONNumber(Double(segment.pending)))
            return .object(item)
        })
        object["torn_tail"] = report.tornTail.map { .string($0.description) } ?? .null
        object["damage_bounded_by_source"] = .number(JSONNumber(Double(report.boundedBySource)))
        object["damage"] = .array(report.damage.map { damage in
            var item = JSONObject()
            item["segment"] = .string(damage.segment)
            item["offset"] = .number(JSONNumber(Double(damage.offset)))
            item["bytes"] = .number(JSONNumber(Double(damage.length)))
            item["reason"] = .string(damage.reason)
            return .object(item)
        })
        return object
    }
}
