import Foundation
import HeraldSource
import Synchronization

/// Herald's own events as a source (`source: [{ name: …, herald: true }]`): an endpoint retired
/// by a 410, a circuit opened or closed, deliveries dead-lettered, dead letters removed by
/// retention, a damaged journal found at start-up — each a JSON line
/// `{"type":"herald.…","id":"herald:…","time":"…","data":{…}}` that routes send anywhere, through
/// the same decode → route → journal path as any line.
///
/// Never about itself: a dead-lettered delivery of one of these events (its id starts with
/// `herald:`) makes no event. Lines wait in memory until the ingest loop takes them (at most
/// ``capacity``; more are counted as dropped), so an event emitted just before a crash may be lost;
/// once journaled it is delivered like any other.
final class OwnEvents: LineSource, Sendable {
    static let capacity = 10_000
    static let idPrefix = "herald:"

    private struct Buffer {
        var lines: [[UInt8]] = []
        var stopped = false
        var sequence = 0
        var dropped = 0
    }

    private let buffer = Mutex(Buffer())
    private let wake = WakeLatch()
    private let now: @Sendable () -> Int64

    init(now: @escaping @Sendable () -> Int64 = UnixTime.milliseconds) {
        self.now = now
    }

    /// Events dropped because the buffer was full.
    var dropped: Int { buffer.withLock { $0.dropped } }

    func next() async throws -> LineBatch? {
        while true {
            let (lines, stopped) = buffer.withLock { buffer in
                defer { buffer.lines = [] }
                return (buffer.lines, buffer.stopped)
            }
            if !lines.isEmpty {
                return LineBatch(lines: lines.map { SourceLine(bytes: $0[...]) }, checkpoint: nil)
            }
            if stopped { return nil }
            try Task.checkCancellation()
            await wake.wait()
        }
    }

    func stop() {
        buffer.withLock { $0.stopped = true }
        wake.set()
    }

    /// Adds one event of `type` (`herald.` is prefixed) with `data`.
    func emit(_ type: String, _ data: [(String, JSONValue)]) {
        let time = now()
        let added = buffer.withLock { buffer -> Bool in
            guard !buffer.stopped else { return false }
            guard buffer.lines.count < Self.capacity else {
                buffer.dropped += 1
                return false
            }
            buffer.sequence += 1
            let event = JSONObject([
                JSONField(key: "type", value: .string("herald." + type)),
                JSONField(key: "id", value: .string("\(Self.idPrefix)\(time):\(buffer.sequence)")),
                JSONField(key: "time", value: .string(UnixTime.rfc3339(time))),
                JSONField(key: "data", value: .object(JSONObject(data.map { JSONField(key: $0.0, value: $0.1) }))),
            ])
            buffer.lines.append(JSONWriter.encodeBytes(.object(event)))
            return true
        }
        if added { wake.set() }
    }

    /// What a dispatcher notice means as an event, if anything.
    func observe(_ notice: DispatchNotice) {
        switch notice {
        case .breaker(let endpoint, .opened(let failures, let until)):
            emit("endpoint.circuit_opened", [("endpoint", .string(endpoint)), ("failures", .number(JSONNumber(Double(failures)))),
                                             ("probe_at", .string(UnixTime.rfc3339(until)))])
        case .breaker(let endpoint, .closed):
            emit("endpoint.circuit_closed", [("endpoint", .string(endpoint))])
        case .endpointGone(let endpoint, .disabled(_, let since, let after)):
            emit("endpoint.disabled", [("endpoint", .string(endpoint)), ("reason", .string("disable_after")),
                                       ("message", .string("failing continuously for longer than \(ConfigDuration.format(after))")),
                                       ("failing_since", .string(UnixTime.rfc3339(since)))])
        case .endpointGone(let endpoint, _):
            emit("endpoint.disabled", [("endpoint", .string(endpoint)), ("reason", .string("gone")),
                                       ("message", .string("the receiver answered 410 Gone"))])
        case .buried(let burials):
            // One event per endpoint and reason; none for Herald's own events' deliveries.
            var groups: [String: (endpoint: String, reason: DeadLetterReason, ids: [String], events: [String])] = [:]
            for burial in burials where !(burial.eventID ?? "").hasPrefix(Self.idPrefix) {
                let key = "\(burial.endpoint)\u{0}\(burial.reason.message)"
                groups[key, default: (burial.endpoint, burial.reason, [], [])].ids.append(burial.id)
                if let event = burial.eventID { groups[key]!.events.append(event) }
            }
            for group in groups.values.sorted(by: { $0.endpoint < $1.endpoint }) {
                emit("delivery.dead_lettered", [
                    ("endpoint", .string(group.endpoint)), ("reason", .string(group.reason.label)), ("message", .string(group.reason.message)),
                    ("count", .number(JSONNumber(Double(group.ids.count)))),
                    ("delivery_ids", .array(group.ids.prefix(100).map(JSONValue.string))),
                    ("event_ids", .array(group.events.prefix(100).map(JSONValue.string))),
                ])
            }
        default:
            break
        }
    }
}
