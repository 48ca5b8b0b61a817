import HeraldHTTP
import Crypto
import Foundation
import HeraldCore
import Testing

@Suite("signing")
struct SigningTests {
    static let body = Array(#"{"type":"order.created","id":"o-1","data":{"total":12.5}}"#.utf8)
    static let v1Secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    /// The key of the Standard Webhooks reference libraries' ed25519 test (32 bytes, "TESTSIGNINGKEY…").
    static let v1aSecret = "whsk_VEVTVFNJR05JTkdLRVlET05PVFVTRVRISVNGT1JBTlk="

    static func config(_ endpoints: String, environment: [String: String] = [:]) throws -> HeraldConfig {
        try ConfigLoader.load(text: """
            version: 1
            source: { file: ./events.jsonl }
            endpoints:
            \(endpoints)
            routes:
              - { name: all, events: ["*"], to: a }
            """, path: "/tmp/s.yaml", environment: environment).get()
    }

    static func signing(_ config: HeraldConfig) throws -> SigningConfig {
        try #require(config.endpoint(named: "a")?.signing)
    }

    @Test("standard-webhooks v1a matches the reference libraries' published ed25519 vector")
    func v1aVector() throws {
        let signing = SigningConfig(scheme: .standardWebhooks, secrets: [Self.v1aSecret], header: "webhook-signature", prefix: "")
        let headers = RequestSigner(signing).headers(webhookID: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: 1_614_265_330, body: Array(#"{"test": 2432232314}"#.utf8))
        #expect(headers == [HTTPHeader("webhook-signature", "v1a,tQ9V2XOqn7jL/DQenEFpqIugdBVtiMmER5mhSkXBNwM0mkATuDe6KYYUuxqtaiHeYGb7KaaBRdM5WqyeFiL8Ag==")])
    }

    @Test("a rotation list signs with every secret, v1 and v1a side by side, and each verifies on its own")
    func mixedRotation() throws {
        let other = "whsec_" + Data(repeating: 7, count: 32).base64EncodedString()
        let signing = try Self.signing(Self.config("""
              a:
                url: https://a.example.com
                signing: { scheme: standard-webhooks, secret: [\(Self.v1Secret), \(Self.v1aSecret), \(other)] }
            """))
        let now: Int64 = 1_700_000_000
        let headers = RequestSigner(signing).headers(webhookID: "msg_1", timestamp: now, body: Self.body)
        let value = try #require(headers.first(named: "webhook-signature"))
        #expect(value.split(separator: " ").map { $0.prefix { $0 != "," } } == ["v1", "v1a", "v1"])
        let received = headers + [HTTPHeader("webhook-id", "msg_1"), HTTPHeader("webhook-timestamp", "\(now)")]
        let publicKey = try #require(StandardWebhooksSecret.publicKey(of: Self.v1aSecret))
        #expect(publicKey.hasPrefix("whpk_"))
        for key in [Self.v1Secret, other, publicKey, Self.v1aSecret] {
            #expect(SignatureVerifier.verify(headers: received, body: Self.body, secret: key, now: now) == .valid, "\(key)")
        }
        let stranger = "whpk_" + Curve25519.Signing.PrivateKey().publicKey.rawRepresentation.base64EncodedString()
        #expect(SignatureVerifier.verify(headers: received, body: Self.body, secret: stranger, now: now) == .invalid("no v1a signature matches the key"))
        #expect(SignatureVerifier.verify(headers: received, body: Self.body + [0x20], secret: publicKey, now: now) != .valid)
        #expect(SignatureVerifier.verify(headers: received, body: Self.body, secret: publicKey, now: now + 301) != .valid)
    }

    @Test("a v1a signature verifies with openssl's ed25519 over id.timestamp.body", .enabled(if: ExternalTool.available("/usr/bin/openssl")))
    func v1aWithOpenSSL() async throws {
        let folder = try ExternalTool.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let signing = SigningConfig(scheme: .standardWebhooks, secrets: [Self.v1aSecret], header: "webhook-signature", prefix: "")
        let value = try #require(RequestSigner(signing).headers(webhookID: "msg_9", timestamp: 42, body: Self.body).first?.value)
        let signature = try #require(Data(base64Encoded: String(value.dropFirst(4))))
        let publicKey = try #require(StandardWebhooksSecret.verifyingKey(from: Self.v1aSecret)).rawRepresentation
        // SubjectPublicKeyInfo for ed25519: a fixed 12-byte DER header, then the raw key.
        let spki = Data([0x30, 0x2A, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70, 0x03, 0x21, 0x00]) + publicKey
        let pem = "-----BEGIN PUBLIC KEY-----\n\(spki.base64EncodedString())\n-----END PUBLIC KEY-----\n"
        try pem.write(to: folder.appendingPathComponent("pub.pem"), atomically: true, encoding: .utf8)
        try Data(Array("msg_9.42.".utf8) + Self.body).write(to: folder.appendingPathComponent("content"))
        try signature.write(to: folder.appendingPathComponent("sig"))
        let verify = { (content: String) in
            try await ExternalTool.run("/usr/bin/openssl", ["pkeyutl", "-verify", "-pubin", "-inkey", folder.appendingPathComponent("pub.pem").path,
                                                     "-rawin", "-in", folder.appendingPathComponent(content).path,
                                                     "-sigfile", folder.appendingPathComponent("sig").path])
        }
        #expect(try await verify("content") == "Signature Verified Successfully")
        try Data("msg_9.43.".utf8 + Self.body).write(to: folder.appendingPathComponent("other"))
        #expect(try await verify("other") == nil)
    }

    @Test("the key pair recipe in docs/security.md (openssl genpkey) gives a whsk_ whose public key is the whpk_", .enabled(if: ExternalTool.available("/bin/sh") && ExternalTool.available("/usr/bin/openssl")))
    func opensslKeyPair() async throws {
        let folder = try ExternalTool.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let pem = folder.appendingPathComponent("herald-signing.pem").path
        let recipe = """
            openssl genpkey -algorithm ed25519 -out \(pem) &&
            echo "whsk_$(openssl pkey -in \(pem) -outform DER | tail -c 32 | base64)" &&
            echo "whpk_$(openssl pkey -in \(pem) -pubout -outform DER | tail -c 32 | base64)"
            """
        let lines = try #require(try await ExternalTool.run("/bin/sh", ["-c", recipe])).split(separator: "\n").map(String.init)
        #expect(lines.count == 2)
        let whsk = try #require(lines.first), whpk = try #require(lines.last)
        #expect(SigningKey.parse(whsk, scheme: .standardWebhooks) != nil)
        #expect(StandardWebhooksSecret.publicKey(of: whsk) == whpk)
    }

    @Test("hmac-sha256 defaults to X-Hub-Signature-256: sha256=<hex>, checked with python's hmac", .enabled(if: ExternalTool.available("/usr/bin/python3")))
    func hmacDefaults() async throws {
        let secret = "s3cr3t-for-the-hmac-test"
        let signing = try Self.signing(Self.config("""
              a:
                url: https://a.example.com
                signing: { scheme: hmac-sha256, secret: "${SECRET}" }
            """, environment: ["SECRET": secret]))
        #expect(signing.header == "X-Hub-Signature-256")
        #expect(signing.prefix == "sha256=")
        let headers = RequestSigner(signing).headers(webhookID: "x", timestamp: 1, body: Self.body)
        let expected = try await Self.pythonHMAC(secret: secret, body: Self.body)
        #expect(headers == [HTTPHeader("X-Hub-Signature-256", "sha256=" + expected)])
        #expect(SignatureVerifier.verify(headers: headers, body: Self.body, secret: secret) == .valid)
    }

    @Test("hmac-sha256 header and prefix are configurable; rotation repeats the header", .enabled(if: ExternalTool.available("/usr/bin/python3")))
    func hmacCustom() async throws {
        let signing = try Self.signing(Self.config("""
              a:
                url: https://a.example.com
                signing: { scheme: hmac-sha256, secret: [new-secret-1, old-secret-2], header: X-Signature, prefix: "" }
            """))
        let headers = RequestSigner(signing).headers(webhookID: "x", timestamp: 1, body: Self.body)
        let newer = try await Self.pythonHMAC(secret: "new-secret-1", body: Self.body)
        let older = try await Self.pythonHMAC(secret: "old-secret-2", body: Self.body)
        #expect(headers == [HTTPHeader("X-Signature", newer), HTTPHeader("X-Signature", older)])
        for secret in ["new-secret-1", "old-secret-2"] {
            #expect(SignatureVerifier.verify(headers: headers, body: Self.body, secret: secret, hmacHeader: "x-signature", hmacPrefix: "") == .valid)
        }
        #expect(SignatureVerifier.verify(headers: headers, body: Self.body, secret: "other-secret", hmacHeader: "X-Signature", hmacPrefix: "") != .valid)
    }

    @Test("signing config errors are located", arguments: [
        ("signing: { scheme: standard-webhooks, secret: whsk_dG9vLXNob3J0 }",
         "5:51: a standard-webhooks 'whsk_' secret must be followed by the base64 of a 32-byte ed25519 private key"),
        ("signing: { scheme: hmac-sha256, secret: abcd, header: webhook-id }",
         "5:59: 'signing.header' cannot be 'webhook-id', a header Herald sets itself"),
        ("signing: { scheme: hmac-sha256, secret: abcd, header: \"bad header\" }",
         "5:59: 'signing.header' must be a valid header name"),
    ])
    func signingErrors(line: String, expected: String) {
        let result = ConfigLoader.load(text: """
            version: 1
            source: { file: ./events.jsonl }
            endpoints:
              a:
                \(line)
                url: https://a.example.com
            routes:
              - { name: all, events: ["*"], to: a }
            """, path: "s.yaml", environment: [:])
        guard case .failure(let errors) = result else { Issue.record("accepted"); return }
        #expect(errors.diagnostics.map(\.description) == ["s.yaml:" + expected])
    }

    static func pythonHMAC(secret: String, body: [UInt8]) async throws -> String {
        let script = "import hmac, hashlib, sys; print(hmac.new(sys.argv[1].encode(), sys.stdin.buffer.read(), hashlib.sha256).hexdigest())"
        return try #require(try await ExternalTool.run("/usr/bin/python3", ["-c", script, secret], stdin: body))
    }
}
