import Foundation
import HeraldTestSupport

/// Runs the built `herald` binary as a user would, capturing its output and exit status.
struct HeraldProcess {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The binary next to the test bundle (the same build as the tests).
    static let binary: URL = {
        var folder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = folder.appendingPathComponent("herald")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            folder = folder.deletingLastPathComponent()
        }
        return root.appendingPathComponent(".build/debug/herald")
    }()

    struct Output: Sendable {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs to completion; `stdin` is written and closed first.
    ///
    /// Spawning, reading both pipes and waiting all block, so they happen on a thread of their own: on the
    /// cooperative pool (two threads on CI) they would stall every other test while the child runs.
    static func run(_ arguments: [String], stdin: String? = nil, environment: [String: String] = [:], directory: URL? = nil,
                    executable: URL = binary) async throws -> Output {
        let environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        let directory = directory ?? root
        return try await onDedicatedThread { () throws -> Output in
            try runBlocking(arguments, stdin: stdin, environment: environment, directory: directory, executable: executable)
        }
    }

    /// The blocking part of ``run(_:stdin:environment:directory:)``; only for a dedicated thread.
    private static func runBlocking(_ arguments: [String], stdin: String?, environment: [String: String], directory: URL,
                                    executable: URL) throws -> Output {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.currentDirectoryURL = directory
        process.environment = environment
        let out = Pipe(), err = Pipe(), input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        // Read stderr on a second thread while this one writes stdin and reads stdout, so that no full pipe can
        // block the child (or this thread) before it exits.
        let errData = Locked(Data())
        let errRead = DispatchSemaphore(value: 0)
        let errHandle = err.fileHandleForReading
        detachThread {
            let data = errHandle.readDataToEndOfFile()
            errData.withLock { $0 = data }
            errRead.signal()
        }
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try input.fileHandleForWriting.close()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        errRead.wait()
        process.waitUntilExit()
        return Output(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self), stderr: String(decoding: errData.withLock { $0 }, as: UTF8.self))
    }
}
