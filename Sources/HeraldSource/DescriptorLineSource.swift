import Dispatch
import Glibc

/// Reads lines from a descriptor (a pipe, a socket, stdin) until its end. Batches carry no checkpoint:
/// such input cannot be resumed.
///
/// An unterminated last line is delivered at the end. The descriptor is waited on with `poll`
/// on a private dispatch queue, so ``stop()`` interrupts a wait and the cooperative pool is never
/// blocked; calls to ``next()`` are served one at a time.
public final class DescriptorLineSource: LineSource, @unchecked Sendable {
    public let fd: Int32
    private let closeOnDeinit: Bool
    private let limits: LineLimits
    private let producer = ProducerQueue(label: "herald.source.descriptor")
    /// Confined to the producer's queue.
    private let core: Core

    /// With `closeOnDeinit`, the source owns `fd` and closes it when released.
    public init(fd: Int32, limits: LineLimits = LineLimits(), closeOnDeinit: Bool = false) {
        self.fd = fd
        self.closeOnDeinit = closeOnDeinit
        self.limits = limits
        self.core = Core(fd: fd, limits: limits)
    }

    deinit {
        if closeOnDeinit { close(fd) }
    }

    public func next() async throws -> LineBatch? {
        try await producer.next { [self] stopped, cancelled in
            try core.produce(waker: producer.waker, stopped: stopped, cancelled: cancelled)
        }
    }

    public func stop() {
        producer.stop()
    }
}

extension DescriptorLineSource {
    fileprivate final class Core {
        private let fd: Int32
        private let limits: LineLimits
        private var reader: LineReader
        private var ended = false

        init(fd: Int32, limits: LineLimits) {
            self.fd = fd
            self.limits = limits
            self.reader = LineReader(limits: limits)
        }

        func produce(waker: Waker, stopped: CancellationFlag, cancelled: CancellationFlag) throws -> LineBatch? {
            var lines: [SourceLine] = []
            var bytes = 0
            func full() -> Bool { lines.count >= limits.maxBatchLines || bytes >= limits.maxBatchBytes }
            while true {
                if stopped.isSet { return nil }
                while !full(), let line = reader.nextLine() {
                    lines.append(line)
                    bytes += line.bytes.count
                }
                if full() { return LineBatch(lines: lines, checkpoint: nil) }
                if ended {
                    if let line = reader.flushPartial() { lines.append(line) }
                    return lines.isEmpty ? nil : LineBatch(lines: lines, checkpoint: nil)
                }
                if !lines.isEmpty {
                    // Hand over what is here rather than wait for more; read on only if data is ready.
                    let ready = Posix.poll([fd], timeoutMilliseconds: 0)
                    if !ready.readable[0] { return LineBatch(lines: lines, checkpoint: nil) }
                } else {
                    if cancelled.isSet { throw CancellationError() }
                    let result = Posix.poll([fd, waker.fd], timeoutMilliseconds: -1)
                    if result.readable[1] { waker.reset() }
                    if !result.readable[0] { continue }
                }
                if try reader.fill(fd: fd, positional: false) == .endOfFile {
                    ended = true
                }
            }
        }
    }
}

/// The process's standard input as a ``LineSource``; it is not closed.
public struct StdinSource: LineSource {
    private let source: DescriptorLineSource

    public init(limits: LineLimits = LineLimits()) {
        source = DescriptorLineSource(fd: STDIN_FILENO, limits: limits)
    }

    public func next() async throws -> LineBatch? {
        try await source.next()
    }

    public func stop() {
        source.stop()
    }
}
