import Glibc
import HeraldSource
import Testing

/// A pipe whose write end is fed from a detached task, then closed.
private func pipeSource(writing chunks: [[UInt8]], limits: LineLimits = LineLimits()) -> DescriptorLineSource {
    var fds: [Int32] = [-1, -1]
    precondition(pipe(&fds) == 0)
    let writeFD = fds[1]
    Task.detached {
        for chunk in chunks {
            var written = 0
            while written < chunk.count {
                let n = chunk.withUnsafeBytes { write(writeFD, $0.baseAddress! + written, $0.count - written) }
                precondition(n > 0)
                written += n
            }
        }
        close(writeFD)
    }
    return DescriptorLineSource(fd: fds[0], limits: limits, closeOnDeinit: true)
}

private func readAll(_ source: DescriptorLineSource) async throws -> [SourceLine] {
    var lines: [SourceLine] = []
    while let batch = try await source.next() {
        #expect(batch.checkpoint == nil)
        lines += batch.lines
    }
    return lines
}

@Suite("DescriptorLineSource")
struct DescriptorLineSourceTests {
    @Test("reads a pipe to its end, then returns nil")
    func withFinalNewline() async throws {
        let source = pipeSource(writing: [Array("a\nbb\n\nccc\n".utf8)])
        let lines = try await readAll(source)
        #expect(lines.map(\.text) == ["a", "bb", "", "ccc"])
        #expect(lines.map(\.lineNumber) == [1, 2, 3, 4])
        #expect(try await source.next() == nil)
    }

    @Test("a final line without a newline is still delivered at the end")
    func withoutFinalNewline() async throws {
        let source = pipeSource(writing: [Array("a\nb".utf8), Array("c".utf8)])
        #expect(try await readAll(source).map(\.text) == ["a", "bc"])
    }

    @Test("an empty pipe ends without lines")
    func empty() async throws {
        #expect(try await readAll(pipeSource(writing: [])).isEmpty)
    }

    @Test("lines split across many small writes arrive whole and in order, in bounded batches")
    func manyChunks() async throws {
        let text = (1...20_000).map { "event \($0) " + String(repeating: "x", count: $0 % 97) + "\n" }.joined()
        let bytes = Array(text.utf8)
        var chunks: [[UInt8]] = []
        var index = 0
        var size = 1
        while index < bytes.count {
            let end = min(bytes.count, index + size)
            chunks.append(Array(bytes[index..<end]))
            index = end
            size = size % 5000 + 37
        }
        let source = pipeSource(writing: chunks, limits: LineLimits(maxBatchLines: 500, readChunkBytes: 4096))
        var lines: [SourceLine] = []
        while let batch = try await source.next() {
            #expect(batch.lines.count <= 500)
            lines += batch.lines
        }
        #expect(lines.count == 20_000)
        #expect(lines.map(\.text) == text.split(separator: "\n").map(String.init))
    }

    @Test("a line of exactly maxLineBytes is whole; one byte more is oversized, even as an unterminated last line")
    func lineLimits() async throws {
        let limits = LineLimits(maxLineBytes: 1000, readChunkBytes: 256)
        let exact = String(repeating: "e", count: 1000)
        let over = String(repeating: "o", count: 1001)
        let tail = String(repeating: "t", count: 3000)
        let source = pipeSource(writing: [Array((exact + "\n" + over + "\nok\n" + tail).utf8)], limits: limits)
        let lines = try await readAll(source)
        #expect(lines.map(\.oversized) == [nil, 1001, nil, 3000])
        #expect(lines.map(\.bytes.count) == [1000, 1000, 2, 1000])
        #expect(lines[0].text == exact)
        #expect(lines[1].text == String(over.prefix(1000)))
        #expect(lines.map(\.lineNumber) == [1, 2, 3, 4])
    }

    @Test("stop() ends a next() that is waiting on a silent pipe")
    func stopInterrupts() async throws {
        var fds: [Int32] = [-1, -1]
        #expect(pipe(&fds) == 0)
        defer { close(fds[1]) }
        let source = DescriptorLineSource(fd: fds[0], closeOnDeinit: true)
        let stopper = Task {
            try await Task.sleep(for: .milliseconds(100))
            source.stop()
        }
        #expect(try await source.next() == nil)
        _ = try await stopper.value
    }

    @Test("cancelling the waiting task throws CancellationError")
    func cancellation() async throws {
        var fds: [Int32] = [-1, -1]
        #expect(pipe(&fds) == 0)
        defer { close(fds[1]) }
        let source = DescriptorLineSource(fd: fds[0], closeOnDeinit: true)
        let waiting = Task { try await source.next() }
        try await Task.sleep(for: .milliseconds(50))
        waiting.cancel()
        await #expect(throws: CancellationError.self) { try await waiting.value }
    }
}
