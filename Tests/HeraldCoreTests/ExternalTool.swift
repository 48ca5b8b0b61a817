import Foundation
import HeraldTestSupport

/// Runs an independent tool (python3, openssl) to check Herald's cryptography against.
enum ExternalTool {
    static func available(_ path: String) -> Bool { FileManager.default.isExecutableFile(atPath: path) }

    /// Standard output, trimmed; nil when the tool exits non-zero. The tool runs, and is waited for, on a thread
    /// of its own rather than on the cooperative pool that parallel tests share.
    static func run(_ path: String, _ arguments: [String], stdin: [UInt8] = []) async throws -> String? {
        try await onDedicatedThread { () throws -> String? in try runBlocking(path, arguments, stdin: stdin) }
    }

    private static func runBlocking(_ path: String, _ arguments: [String], stdin: [UInt8]) throws -> String? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        input.fileHandleForWriting.write(Data(stdin))
        try input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return nil }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A fresh temporary folder, removed by the caller.
    static func temporaryFolder() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("herald-sec-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }
}
