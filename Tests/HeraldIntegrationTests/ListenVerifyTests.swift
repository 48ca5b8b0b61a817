import Foundation
import HeraldCore
import Testing
import HeraldTestSupport

@Suite("herald listen verifies what herald send signs")
struct ListenVerifyTests {
    /// Runs `herald listen` with `arguments`, sends one event to it with `signing`, and returns what listen printed.
    static func listen(_ arguments: [String], signing: String) async throws -> String {
        let reserved = try PortReservation()
        defer { reserved.release() }
        let port = reserved.port
        let listener = Process()
        listener.executableURL = HeraldProcess.binary
        listener.arguments = ["listen", "--port", "\(port)", "--quiet"] + arguments
        let output = Pipe()
        listener.standardOutput = output
        listener.standardError = FileHandle.nullDevice
        try listener.run()
        defer { if listener.isRunning { listener.terminate() } }
        #expect(await waitUntil { PrivateCANginx.accepts(port) })
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("herald-listen-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try """
            version: 1
            source: { stdin: true }
            endpoints:
              local: { url: "http://127.0.0.1:\(port)/hooks", signing: \(signing) }
            routes:
              - { name: all, events: ["*"], to: local }
            """.write(to: folder.appendingPathComponent("config.yaml"), atomically: true, encoding: .utf8)
        let send = try await HeraldProcess.run(["send", "-c", "config.yaml", "--endpoint", "local", #"{"type":"a.b","id":"1"}"#], directory: folder)
        #expect(send.status == 0, "\(send.stdout)\(send.stderr)")
        listener.terminate()
        // Reading to the end of the pipe (until listen exits) blocks, so it happens on a thread of its own.
        let printed = output.fileHandleForReading
        return await onDedicatedThread { String(decoding: printed.readDataToEndOfFile(), as: UTF8.self) }
    }

    static let whsk = "whsk_VEVTVFNJR05JTkdLRVlET05PVFVTRVRISVNGT1JBTlk="
    static let whsec = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

    @Test("a whpk_ public key verifies the v1a signature of a whsk_ secret, also beside a v1 secret")
    func asymmetric() async throws {
        let publicKey = try #require(StandardWebhooksSecret.publicKey(of: Self.whsk))
        let signing = "{ scheme: standard-webhooks, secret: [\(Self.whsec), \"\(Self.whsk)\"] }"
        #expect(try await Self.listen(["--secret", publicKey], signing: signing).contains("signature: valid"))
        #expect(try await Self.listen(["--secret", Self.whsec], signing: signing).contains("signature: valid"))
        let other = "whpk_" + Data(repeating: 1, count: 32).base64EncodedString()
        #expect(try await Self.listen(["--secret", other], signing: signing).contains("signature: INVALID (no v1a signature matches the key)"))
    }

    @Test("a custom hmac-sha256 header and prefix verify with --signature-header and --signature-prefix")
    func customHMAC() async throws {
        let signing = "{ scheme: hmac-sha256, secret: shared-s3cret, header: X-Signature, prefix: \"hmac=\" }"
        let arguments = ["--secret", "shared-s3cret", "--signature-header", "X-Signature", "--signature-prefix", "hmac="]
        #expect(try await Self.listen(arguments, signing: signing).contains("signature: valid"))
        #expect(try await Self.listen(["--secret", "shared-s3cret"], signing: signing).contains("signature: missing (no X-Hub-Signature-256 header)"))
    }
}
