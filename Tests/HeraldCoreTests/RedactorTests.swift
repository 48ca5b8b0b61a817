import HeraldHTTP
import Foundation
import HeraldCore
import Logging
import Testing

@Suite("redaction")
struct RedactorTests {
    static let config = try! ConfigLoader.load(text: """
        version: 1
        source: { file: ./events.jsonl }
        endpoints:
          sw:
            url: https://sw.example.com
            signing: { scheme: standard-webhooks, secret: [whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw, whsk_VEVTVFNJR05JTkdLRVlET05PVFVTRVRISVNGT1JBTlk=] }
          gh:
            url: https://gh.example.com
            signing: { scheme: hmac-sha256, secret: written-in-the-file, header: X-Signature }
            bearer_token: "${TOKEN}"
        routes:
          - { name: all, events: ["*"], to: [sw, gh] }
        """, path: "r.yaml", environment: ["TOKEN": "tok-from-env"]).get()

    @Test("credential headers are hidden whole, signature headers keep only their version markers")
    func headers() {
        let redactor = Redactor(config: Self.config)
        #expect(redactor.redact(header: HTTPHeader("Authorization", "Bearer tok-from-env")).value == "[redacted]")
        #expect(redactor.redact(header: HTTPHeader("Proxy-Authorization", "Basic eDp5")).value == "[redacted]")
        #expect(redactor.redact(header: HTTPHeader("webhook-signature", "v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4= v1a,tQ9V2XOqn7jL==")).value
            == "v1,[redacted] v1a,[redacted]")
        #expect(redactor.redact(header: HTTPHeader("x-signature", "sha256=757107ea0eb2509fc2")).value == "sha256=[redacted]")
        #expect(redactor.redact(header: HTTPHeader("X-Signature", "757107ea0eb2509fc2")).value == "[redacted]")
        #expect(redactor.redact(header: HTTPHeader("X-Request", "plain")).value == "plain")
    }

    @Test("signing secrets are redacted even when written in the file; values from the environment too")
    func values() {
        let redactor = Redactor(config: Self.config)
        for secret in ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsk_VEVTVFNJR05JTkdLRVlET05PVFVTRVRISVNGT1JBTlk=", "written-in-the-file", "tok-from-env"] {
            #expect(redactor.redact("error: saw \(secret) here") == "error: saw [redacted] here")
        }
    }

    @Test("every config loaded is registered for redacting logs and journaled errors")
    func registryAndLogs() throws {
        _ = Self.config  // loaded through ConfigLoader, which registers it
        #expect(SecretRegistry.shared.redact("tok-from-env") == "[redacted]")
        let registry = SecretRegistry()
        registry.register(Self.config)
        #expect(registry.redact("a written-in-the-file b") == "a [redacted] b")
        #expect(SecretRegistry().redact("written-in-the-file") == "written-in-the-file")
    }

    @Test("log lines hide registered secrets in the message and metadata, in logfmt and JSON", arguments: LogfmtLogHandler.Format.allCases)
    func logLines(format: LogfmtLogHandler.Format) {
        let registry = SecretRegistry()
        registry.register(Self.config)
        let handler = LogfmtLogHandler(label: "t", format: format, secrets: registry)
        let event = LogEvent(level: .error, message: "saw tok-from-env", metadata: ["error": "proxy \"written-in-the-file\" refused"],
                             source: nil, file: #file, function: #function, line: #line)
        let line = handler.line(for: event)
        #expect(!line.contains("tok-from-env") && !line.contains("written-in-the-file"))
        #expect(line.contains("saw [redacted]"))
        #expect(LogfmtLogHandler(label: "t", format: format).line(for: event).contains("tok-from-env"))
    }
}

@Suite("redaction of values put into secret positions")
struct SecretPositionTests {
    static let token = "tok-7f3a9c2e"

    func secrets(_ endpoint: String, environment: [String: String]) throws -> Redactor {
        let config = try ConfigLoader.load(text: """
            version: 1
            source: { file: ./events.jsonl }
            endpoints:
              erp:
            \(endpoint.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n"))
            routes:
              - { name: all, events: ["*"], to: erp }
            """, path: "c.yaml", environment: environment).get()
        return Redactor(config: config)
    }

    @Test("each ${VAR} in a header is a secret on its own, not only the whole value")
    func headerParts() throws {
        let redactor = try secrets("url: https://erp.example.com\nheaders: { X-Token: \"tok ${TOK}\", X-Pair: \"${A}:${B}\" }",
                                   environment: ["TOK": Self.token, "A": "left-part", "B": "right-part"])
        #expect(redactor.redact("echo: \(Self.token)") == "echo: [redacted]")
        #expect(redactor.redact("tok \(Self.token)") == "[redacted]")
        #expect(redactor.redact("a=left-part b=right-part") == "a=[redacted] b=[redacted]")
    }

    @Test("a ${VAR} in the URL is a secret as written, percent-encoded and percent-decoded")
    func urlForms() throws {
        let redactor = try secrets("url: \"https://erp.example.com/hooks/${KEY}\"", environment: ["KEY": "k3y/with+odd=chars"])
        #expect(redactor.redact("k3y/with+odd=chars") == "[redacted]")
        #expect(redactor.redact("k3y%2Fwith%2Bodd%3Dchars") == "[redacted]")
        let encoded = try secrets("url: \"https://erp.example.com/hooks/${KEY}\"", environment: ["KEY": "a%2Fsecret%20path"])
        #expect(encoded.redact("a/secret path") == "[redacted]")
    }

    @Test("basic auth: the base64 credentials alone are a secret; standard-webhooks: the key without whsec_")
    func encodedCredentials() throws {
        let basic = try secrets("url: https://erp.example.com\nbasic_auth: { username: herald, password: \"${PASS}\" }", environment: ["PASS": "pa55-word"])
        let base64 = Data("herald:pa55-word".utf8).base64EncodedString()
        #expect(basic.redact("got \(base64)") == "got [redacted]")
        let key = Data("0123456789abcdef0123456789abcdef".utf8).base64EncodedString()
        let signed = try secrets("url: https://erp.example.com\nsigning: { scheme: standard-webhooks, secret: \"whsec_\(key)\" }", environment: [:])
        #expect(signed.redact("key \(key)") == "key [redacted]")
    }

    @Test("an excerpt cut inside a secret hides the secret's start at the cut")
    func cutShort() {
        let redactor = Redactor(secrets: [Self.token])
        #expect(redactor.redact("body tok-7f3a", cutShort: true) == "body [redacted]")
        #expect(redactor.redact("body tok-7f3a", cutShort: false) == "body tok-7f3a")
        #expect(redactor.redact("body to", cutShort: true) == "body to")
    }
}
