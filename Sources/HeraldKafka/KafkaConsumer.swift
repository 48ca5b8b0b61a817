import CRdKafka
import Dispatch
import HeraldHTTP
import Synchronization

/// A member of a Kafka consumer group, polled on a thread of its own (librdkafka's poll blocks),
/// handing over one batch at a time and storing its offsets only when told the batch is durable.
///
/// The next poll waits until the batch before it is stored: a rebalance (which librdkafka runs
/// inside a poll) therefore always finds every message handed over either stored or never to be
/// stored, and commits exactly what is journaled before the partitions go to another member.
public final class KafkaConsumer: Sendable {
    private let handle: Handle
    private let context: Context
    private let handOff = Mutex(HandOff())
    /// Released by ``stored(_:)`` (or ``stop()``) to let the poll thread go on.
    private let proceed = DispatchSemaphore(value: 0)
    private let stopping = Atomic(false)
    private let maxBatch: Int
    private let topics: [String]

    private struct HandOff: ~Copyable {
        var ready: KafkaBatch?
        var waiter: CheckedContinuation<KafkaBatch?, Never>?
        var finished = false
        /// ``close()`` callers waiting for the poll thread to end.
        var closers: [CheckedContinuation<Void, Never>] = []
        /// The handle is open: offsets may be stored. Cleared before it is closed.
        var open = true
        var started = false
    }

    /// Wraps `rd_kafka_t *`, which librdkafka lets any thread use.
    private struct Handle: @unchecked Sendable {
        let pointer: OpaquePointer
    }

    /// What librdkafka's callbacks reach through their opaque pointer.
    private final class Context: Sendable {
        let notify: @Sendable (KafkaNotice) -> Void
        let beforeRevoke: @Sendable ([KafkaPartition]) -> Void
        /// Partitions revoked during the poll that is collecting a batch: their messages in it are
        /// dropped (their next owner reads them from the committed offset).
        let revokedWhileCollecting = Mutex<Set<KafkaPartition>>([])
        init(notify: @escaping @Sendable (KafkaNotice) -> Void, beforeRevoke: @escaping @Sendable ([KafkaPartition]) -> Void) {
            self.notify = notify
            self.beforeRevoke = beforeRevoke
        }
    }

    /// Makes the consumer (no connection yet: librdkafka connects in the background).
    /// `beforeRevoke` runs on the poll thread when partitions are taken away, after their stored
    /// offsets are committed and before they go to another member: it may block (to let what was read from them
    /// be delivered first, so that their keys' order holds across the group).
    public init(_ settings: KafkaSettings, notify: @escaping @Sendable (KafkaNotice) -> Void,
                beforeRevoke: @escaping @Sendable ([KafkaPartition]) -> Void = { _ in }) throws(KafkaError) {
        let context = Context(notify: notify, beforeRevoke: beforeRevoke)
        guard let conf = rd_kafka_conf_new() else { throw KafkaError("cannot allocate a librdkafka configuration") }
        var errorText = [CChar](repeating: 0, count: 512)
        for (key, value) in settings.properties {
            if rd_kafka_conf_set(conf, key, value, &errorText, errorText.count) != RD_KAFKA_CONF_OK {
                rd_kafka_conf_destroy(conf)
                throw KafkaError("kafka option '\(key)': \(Self.text(errorText))")
            }
        }
        rd_kafka_conf_set_opaque(conf, Unmanaged.passUnretained(context).toOpaque())
        rd_kafka_conf_set_rebalance_cb(conf, Self.rebalanced)
        rd_kafka_conf_set_error_cb(conf, Self.failed)
        rd_kafka_conf_set_log_cb(conf, Self.logged)
        // On success librdkafka owns `conf`; on failure it is still ours.
        guard let pointer = rd_kafka_new(RD_KAFKA_CONSUMER, conf, &errorText, errorText.count) else {
            rd_kafka_conf_destroy(conf)
            throw KafkaError("cannot create the Kafka consumer: \(Self.text(errorText))")
        }
        rd_kafka_poll_set_consumer(pointer)
        self.handle = Handle(pointer: pointer)
        self.context = context
        self.maxBatch = max(1, settings.maxBatch)
        self.topics = settings.topics
    }

    deinit {
        // Started, the poll thread closed it (it holds the consumer until then); never started, it is closed here.
        if handOff.withLock({ $0.open }) { rd_kafka_destroy(handle.pointer) }
    }

    /// Joins the group (subscribes to the topics) and starts polling.
    public func start() throws(KafkaError) {
        let list = rd_kafka_topic_partition_list_new(Int32(topics.count))
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for topic in topics { rd_kafka_topic_partition_list_add(list, topic, -1) }
        let error = rd_kafka_subscribe(handle.pointer, list)
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError("cannot subscribe to \(topics.joined(separator: ",")): \(Self.describe(error))") }
        handOff.withLock { $0.started = true }
        guard PosixThread.start(name: "herald-kafka", detached: true, { [self] in pollLoop() }) != nil else {
            handOff.withLock { $0.started = false }
            throw KafkaError("cannot start the Kafka poll thread")
        }
    }

    /// The next batch; nil once the consumer has stopped, or when the calling task is cancelled.
    public func next() async -> KafkaBatch? {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<KafkaBatch?, Never>) in
                let batch: KafkaBatch?? = handOff.withLock { state in
                    if let ready = state.ready {
                        state.ready = nil
                        return .some(ready)
                    }
                    if state.finished || Task.isCancelled { return .some(nil) }
                    state.waiter = continuation
                    return nil
                }
                if let batch { continuation.resume(returning: batch) }
            }
        } onCancel: {
            handOff.withLock { $0.waiter.take() }?.resume(returning: nil)
        }
    }

    /// The batch last handed over is durable: its offsets are stored and committed (asynchronously;
    /// synchronously on a rebalance or close) and polling goes on.
    public func stored(_ batch: KafkaBatch) {
        let failure: String? = handOff.withLock { state in
            guard state.open else { return nil }
            let next = batch.nextOffsets
            let list = rd_kafka_topic_partition_list_new(Int32(next.count))
            defer { rd_kafka_topic_partition_list_destroy(list) }
            for (partition, offset) in next {
                rd_kafka_topic_partition_list_add(list, partition.topic, partition.partition)?.pointee.offset = offset
            }
            let error = rd_kafka_offsets_store(handle.pointer, list)
            guard error == RD_KAFKA_RESP_ERR_NO_ERROR else { return Self.describe(error) }
            // Committed now, not on a timer: a crash then sends again at most the batches in flight.
            _ = rd_kafka_commit(handle.pointer, list, 1)
            return nil
        }
        if let failure { context.notify(.error(code: -1, message: "cannot store consumed offsets: \(failure)", fatal: false)) }
        proceed.signal()
    }

    /// Leaves the group: the poll thread commits what is stored, closes the consumer and ends the
    /// batches (``next()`` returns nil).
    public func stop() {
        stopping.store(true, ordering: .relaxed)
        proceed.signal()
    }

    /// ``stop()``, then waits until the consumer has committed, left the group and closed (the
    /// group hands its partitions on at once instead of after the session timeout).
    public func close() async {
        stop()
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = handOff.withLock { state in
                if state.finished || !state.started { return true }
                state.closers.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
    }

    private func pollLoop() {
        while !stopping.load(ordering: .relaxed) {
            var messages: [KafkaMessage] = []
            var timeout: Int32 = 200
            while messages.count < maxBatch, let message = rd_kafka_consumer_poll(handle.pointer, timeout) {
                timeout = 0
                defer { rd_kafka_message_destroy(message) }
                if let copied = copy(message.pointee) { messages.append(copied) }
            }
            let revoked = context.revokedWhileCollecting.withLock { revoked in
                defer { revoked = [] }
                return revoked
            }
            if !revoked.isEmpty { messages.removeAll { revoked.contains($0.partition) } }
            guard !messages.isEmpty else { continue }
            let batch = KafkaBatch(messages: messages)
            let waiter: CheckedContinuation<KafkaBatch?, Never>? = handOff.withLock { state in
                if let waiter = state.waiter.take() { return waiter }
                state.ready = batch
                return nil
            }
            waiter?.resume(returning: batch)
            proceed.wait()
        }
        handOff.withLock { $0.open = false }
        rd_kafka_consumer_close(handle.pointer)
        rd_kafka_destroy(handle.pointer)
        let (waiter, closers) = handOff.withLock { state in
            state.finished = true
            state.ready = nil
            defer { state.closers = [] }
            return (state.waiter.take(), state.closers)
        }
        waiter?.resume(returning: nil)
        for closer in closers { closer.resume() }
    }

    /// The message's bytes, or nil for an error event (reported instead).
    private func copy(_ message: rd_kafka_message_t) -> KafkaMessage? {
        guard message.err == RD_KAFKA_RESP_ERR_NO_ERROR else {
            if message.err != RD_KAFKA_RESP_ERR__PARTITION_EOF {
                let detail = rd_kafka_message_errstr(withUnsafePointer(to: message) { $0 }).map { String(cString: $0) } ?? Self.describe(message.err)
                context.notify(.error(code: message.err.rawValue, message: detail, fatal: false))
            }
            return nil
        }
        let topic = message.rkt.map { String(cString: rd_kafka_topic_name($0)) } ?? ""
        let payload = message.payload.map { Array(UnsafeRawBufferPointer(start: $0, count: message.len)) } ?? []
        let key = message.key.map { Array(UnsafeRawBufferPointer(start: $0, count: message.key_len)) }
        return KafkaMessage(topic: topic, partition: message.partition, offset: message.offset, key: key, payload: payload)
    }

    private static func context(of handle: OpaquePointer?) -> Context? {
        guard let handle, let raw = rd_kafka_opaque(handle) else { return nil }
        return Unmanaged<Context>.fromOpaque(raw).takeUnretainedValue()
    }

    private static func partitions(_ list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?) -> [KafkaPartition] {
        guard let list else { return [] }
        return (0..<Int(list.pointee.cnt)).map { index in
            let element = list.pointee.elems[index]
            return KafkaPartition(topic: String(cString: element.topic), partition: element.partition)
        }
    }

    /// Runs inside a poll, on the poll thread: by then the last batch handed over is stored.
    private static let rebalanced: @convention(c) (OpaquePointer?, rd_kafka_resp_err_t, UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?,
                                                   UnsafeMutableRawPointer?) -> Void = { handle, error, list, _ in
        guard let handle else { return }
        let context = KafkaConsumer.context(of: handle)
        let cooperative = rd_kafka_rebalance_protocol(handle).map { String(cString: $0) } == "COOPERATIVE"
        switch error {
        case RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS:
            if cooperative { rd_kafka_error_destroy(rd_kafka_incremental_assign(handle, list)) } else { rd_kafka_assign(handle, list) }
            context?.notify(.assigned(partitions(list)))
        case RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS:
            // Committed first, while the group still takes commits of this generation; then what
            // was read is let out before the partitions go.
            let commit = rd_kafka_commit(handle, nil, 0)
            let failed = commit == RD_KAFKA_RESP_ERR_NO_ERROR || commit == RD_KAFKA_RESP_ERR__NO_OFFSET ? nil : describe(commit)
            context?.revokedWhileCollecting.withLock { $0.formUnion(partitions(list)) }
            context?.beforeRevoke(partitions(list))
            if cooperative { rd_kafka_error_destroy(rd_kafka_incremental_unassign(handle, list)) } else { rd_kafka_assign(handle, nil) }
            context?.notify(.revoked(partitions(list), commitError: failed))
        default:
            rd_kafka_assign(handle, nil)
            context?.notify(.error(code: error.rawValue, message: "rebalance failed: \(describe(error))", fatal: false))
        }
    }

    private static let failed: @convention(c) (OpaquePointer?, Int32, UnsafePointer<CChar>?, UnsafeMutableRawPointer?) -> Void = { handle, code, reason, _ in
        let fatal = code == RD_KAFKA_RESP_ERR__FATAL.rawValue
        context(of: handle)?.notify(.error(code: code, message: reason.map { String(cString: $0) } ?? "", fatal: fatal))
    }

    private static let logged: @convention(c) (OpaquePointer?, Int32, UnsafePointer<CChar>?, UnsafePointer<CChar>?) -> Void = { handle, level, facility, text in
        context(of: handle)?.notify(.log(level: level, facility: facility.map { String(cString: $0) } ?? "", message: text.map { String(cString: $0) } ?? ""))
    }

    static func describe(_ error: rd_kafka_resp_err_t) -> String {
        rd_kafka_err2str(error).map { String(cString: $0) } ?? "error \(error.rawValue)"
    }

    private static func text(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
