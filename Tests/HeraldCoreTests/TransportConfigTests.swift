import HeraldHTTP
import Foundation
import HeraldCore
import Testing

@Suite("auth, TLS and proxy config")
struct TransportConfigTests {
    static func load(_ endpoints: String, defaults: String = "", environment: [String: String] = [:], folder: URL? = nil) -> Result<HeraldConfig, ConfigErrors> {
        let path = folder?.appendingPathComponent("config.yaml").path ?? "t.yaml"
        return ConfigLoader.load(text: """
            version: 1
            source: { file: ./events.jsonl }
            \(defaults)
            endpoints:
            \(endpoints)
            routes:
              - { name: all, events: ["*"], to: a }
            """, path: path, environment: environment)
    }

    static func errors(_ result: Result<HeraldConfig, ConfigErrors>) -> [String] {
        guard case .failure(let errors) = result else { return ["accepted"] }
        return errors.diagnostics.map(\.description)
    }

    @Test("basic_auth and bearer_token become an Authorization header, and their values secrets")
    func authorization() throws {
        let config = try Self.load("""
              a: { url: https://a.example.com, basic_auth: { username: herald, password: "${PASSWORD}" } }
              b: { url: https://b.example.com, bearer_token: literal-token-1234 }
            """, environment: ["PASSWORD": "pa:ss-w0rd"]).get()
        #expect(config.endpoint(named: "a")?.headers == [HTTPHeader("Authorization", "Basic " + Data("herald:pa:ss-w0rd".utf8).base64EncodedString())])
        #expect(config.endpoint(named: "b")?.headers == [HTTPHeader("Authorization", "Bearer literal-token-1234")])
        #expect(config.secrets.isSuperset(of: ["pa:ss-w0rd", "literal-token-1234"]))
    }

    @Test("an endpoint's own credential replaces the one in defaults")
    func authFromDefaults() throws {
        let config = try Self.load("""
              a: { url: https://a.example.com }
              b: { url: https://b.example.com, basic_auth: { username: u, password: p4ssword } }
              c: { url: https://c.example.com, bearer_token: null }
            """, defaults: "defaults: { bearer_token: default-token }").get()
        #expect(config.endpoint(named: "a")?.headers == [HTTPHeader("Authorization", "Bearer default-token")])
        #expect(config.endpoint(named: "b")?.headers.first?.value.hasPrefix("Basic ") == true)
        #expect(config.endpoint(named: "c")?.headers == [])
    }

    @Test("auth mistakes are located errors that never quote the credential", arguments: [
        ("  a: { url: https://a.example.com, bearer_token: t0ken-value, basic_auth: { username: u, password: p } }",
         "t.yaml:5:75: set either 'basic_auth' or 'bearer_token', not both"),
        ("  a: { url: https://a.example.com, bearer_token: t0ken-value, headers: { Authorization: x } }",
         "t.yaml:5:50: 'bearer_token' and headers.Authorization both set the Authorization header; keep one"),
        ("  a: { url: https://a.example.com, bearer_token: \"t0ken value\" }",
         "t.yaml:5:50: 'bearer_token' must be a non-empty token without spaces or line breaks"),
        ("  a: { url: https://a.example.com, basic_auth: { username: \"a:b\", password: t0ken-value } }",
         "t.yaml:5:60: 'basic_auth.username' cannot contain ':' (RFC 7617)"),
        ("  a: { url: https://a.example.com, basic_auth: { username: u } }",
         "t.yaml:5:48: missing required key 'password' in 'basic_auth'"),
    ])
    func authErrors(endpoint: String, expected: String) {
        #expect(Self.errors(Self.load(endpoint)) == [expected])
    }

    @Test("tls files resolve against the config's folder and must be PEM files that exist")
    func tlsFiles() throws {
        let folder = try ExternalTool.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("certs"), withIntermediateDirectories: true)
        for name in ["ca.pem", "client.pem", "client.key"] { try pem.write(to: folder.appendingPathComponent("certs/\(name)"), atomically: true, encoding: .utf8) }
        try "not pem".write(to: folder.appendingPathComponent("certs/plain.txt"), atomically: true, encoding: .utf8)
        let config = try Self.load("""
              a: { url: https://a.example.com, tls: { client_cert: certs/client.pem, client_key: ./certs/client.key } }
              b: { url: https://b.example.com, tls: { insecure_skip_verify: true } }
            """, defaults: "defaults: { tls: { ca_file: certs/ca.pem } }", folder: folder).get()
        let a = try #require(config.endpoint(named: "a")).tls
        let certs = folder.appendingPathComponent("certs").standardized.path
        #expect(a == TLSOptions(caFile: certs + "/ca.pem", clientCert: certs + "/client.pem", clientKey: certs + "/client.key"))
        #expect(config.endpoint(named: "b")?.tls == TLSOptions(caFile: certs + "/ca.pem", insecureSkipVerify: true))
        #expect(ConfigWarnings.list(for: config).contains { $0.hasPrefix("endpoint 'b': tls.insecure_skip_verify is on") })
        #expect(!ConfigWarnings.list(for: config).contains { $0.hasPrefix("endpoint 'a'") })

        let bad = Self.errors(Self.load("""
              a: { url: https://a.example.com, tls: { ca_file: certs/missing.pem, client_key: certs/plain.txt } }
            """, folder: folder))
        let config_ = folder.appendingPathComponent("config.yaml").path
        #expect(bad == [
            "\(config_):5:52: tls.ca_file '\(certs)/missing.pem' does not exist",
            "\(config_):5:83: tls.client_key '\(certs)/plain.txt' is not a PEM file (no -----BEGIN line)",
            "\(config_):5:83: 'tls.client_key' needs 'tls.client_cert'",
        ])
    }

    @Test("proxy takes http, https and socks URLs; its password becomes a secret")
    func proxy() throws {
        let config = try Self.load("""
              a: { url: https://a.example.com, proxy: "http://herald:pr0xy%40pass@proxy.internal:3128" }
              b: { url: https://b.example.com, proxy: null }
            """, defaults: "defaults: { proxy: socks5h://10.0.0.1:1080 }").get()
        #expect(config.endpoint(named: "a")?.proxy == "http://herald:pr0xy%40pass@proxy.internal:3128")
        #expect(config.endpoint(named: "b")?.proxy == nil)
        #expect(config.secrets.isSuperset(of: ["pr0xy@pass", "pr0xy%40pass"]))
        // What libcurl may say about a proxy it cannot use, as journaled and logged.
        let message = SecretRegistry.shared.redact("Unsupported proxy syntax in 'http://herald:pr0xy%40pass@proxy.internal:3128'")
        #expect(message == "Unsupported proxy syntax in 'http://herald:[redacted]@proxy.internal:3128'")
    }

    @Test("a bad proxy is a located error that does not quote the URL", arguments: [
        "ftp://user:hunter22@proxy:21", "proxy.internal:3128", "http://user:hunter22@proxy/path", "http://",
    ])
    func badProxy(proxy: String) {
        let errors = Self.errors(Self.load("  a: { url: https://a.example.com, proxy: \"\(proxy)\" }"))
        #expect(errors == ["t.yaml:5:43: 'proxy' must be a URL like http://proxy.internal:3128 (schemes: http, https, socks4, socks4a, socks5, socks5h; no path)"])
    }

    @Test("an error quoting a value from the environment shows it redacted")
    func redactedDiagnostics() {
        let errors = Self.errors(Self.load("  a: { url: \"${HOOK_URL}\" }", environment: ["HOOK_URL": "hooks.example.com/T000/B000/XXXXsecretXXXX"]))
        #expect(errors == ["t.yaml:5:13: endpoint 'a': '[redacted]' is not a URL (expected https://host/path)"])
    }
}
