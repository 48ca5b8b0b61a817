import HeraldHTTP
import Foundation
import HeraldCore
import Testing

@Suite("signed deliveries")
struct SignedDeliveryTests {
    @Test("every attempt is signed afresh over the bytes sent, with each secret of a rotation list")
    func everyAttemptSigned() async throws {
        let whsec = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
        let whsk = "whsk_VEVTVFNJR05JTkdLRVlET05PVFVTRVRISVNGT1JBTlk="
        let receiver = try Receiver { request, previous in
            ServerResponse(status: request.target.hasPrefix("/hooks/gh") || previous >= 2 ? 204 : 503)
        }
        defer { receiver.stop() }
        let harness = try SidecarHarness(config: """
            version: 1
            state_dir: ./state
            source: { file: ./events.jsonl }
            endpoints:
              signed:
                url: "\(receiver.url)"
                retry: { schedule: [1100ms, 1100ms], max_age: 1h }
                signing: { scheme: standard-webhooks, secret: [\(whsec), "\(whsk)"] }
              github:
                url: "\(receiver.url)/gh"
                signing: { scheme: hmac-sha256, secret: [gh-new-secret, gh-old-secret] }
            routes:
              - { name: all, events: ["*"], to: [signed, github] }
            """)
        try harness.append([#"{"type":"order.created","id":"o-1","data":{"total":1}}"#])
        try harness.start()
        #expect(await receiver.wait { $0.count >= 4 })
        try await Task.sleep(for: .milliseconds(300))
        harness.signal(SIGTERM)
        #expect(await harness.waitForExit() == 0)
        let standard = receiver.requests.filter { $0.headers.first(named: "webhook-signature") != nil }
        #expect(standard.count == 3)
        #expect(Set(standard.compactMap { $0.headers.first(named: "webhook-timestamp") }).count >= 2, "a retry carries a new timestamp")
        let publicKey = try #require(StandardWebhooksSecret.publicKey(of: whsk))
        for request in standard {
            let timestamp = try #require(Int64(request.headers.first(named: "webhook-timestamp") ?? ""))
            #expect(request.headers.first(named: "webhook-signature")?.split(separator: " ").count == 2)
            for key in [whsec, publicKey] {
                #expect(SignatureVerifier.verify(headers: request.headers, body: request.body, secret: key, now: timestamp) == .valid)
            }
        }
        let github = try #require(receiver.requests.first { $0.headers.first(named: "X-Hub-Signature-256") != nil })
        #expect(github.headers.filter { $0.name.lowercased() == "x-hub-signature-256" }.count == 2)
        for secret in ["gh-new-secret", "gh-old-secret"] {
            #expect(SignatureVerifier.verify(headers: github.headers, body: github.body, secret: secret) == .valid)
        }
    }
}
