import Glibc
import HeraldHTTP
import Foundation
import HeraldCore
import Testing

@Suite("config loading")
struct ConfigLoaderTests {
    static let minimal = """
        version: 1
        source: { file: ./events.jsonl }
        endpoints:
          erp: { url: https://erp.example.com/hooks }
        routes:
          - { name: orders, events: ["order.*"], to: erp }
        """

    func load(_ text: String, environment: [String: String] = [:], path: String = "/etc/herald/config.yaml") throws -> HeraldConfig {
        try ConfigLoader.load(text: text, path: path, environment: environment).get()
    }

    @Test("a minimal config gets the documented defaults")
    func defaults() throws {
        let config = try load(Self.minimal)
        let erp = try #require(config.endpoint(named: "erp"))
        #expect(config.stateDir == "/etc/herald/.herald")
        #expect(config.source.input == .file("/etc/herald/events.jsonl"))
        #expect(config.source.startAt == .beginning)
        #expect(config.source.typeField == FieldPath("type"))
        #expect(config.source.maxLineBytes == 1 << 20)
        #expect(config.journal.maxBytes == 1 << 30)
        #expect(erp.timeout == .seconds(10))
        #expect(erp.concurrency == 8)
        #expect(erp.enabled)
        #expect(erp.format == .json)
        #expect(erp.retry == .standard)
        #expect(config.watch == false)
    }

    @Test("endpoint keys under defaults apply unless the endpoint overrides them; headers and retry merge key by key")
    func defaultsMerge() throws {
        let config = try load("""
            version: 1
            source: { stdin: true }
            defaults:
              timeout: 3s
              concurrency: 2
              rate_limit: 50/s
              headers: { X-Team: payments, X-Env: prod }
              retry: { schedule: [1s, 2s], max_age: 1h }
            endpoints:
              a: { url: https://a.example.com }
              b:
                url: https://b.example.com
                timeout: 30s
                headers: { X-Env: staging }
                retry: { max_age: 2h }
            routes:
              - { name: r, events: ["*"], to: [a, b] }
            """)
        let a = try #require(config.endpoint(named: "a")), b = try #require(config.endpoint(named: "b"))
        #expect(a.timeout == .seconds(3) && b.timeout == .seconds(30))
        #expect(a.concurrency == 2 && b.concurrency == 2)
        #expect(a.rateLimit == Rate(count: 50, period: .seconds(1)))
        #expect(a.headers == [HTTPHeader("X-Team", "payments"), HTTPHeader("X-Env", "prod")])
        #expect(b.headers == [HTTPHeader("X-Team", "payments"), HTTPHeader("X-Env", "staging")])
        #expect(a.retry == RetryConfig(schedule: [.seconds(1), .seconds(2)], maxAge: .seconds(3600)))
        #expect(b.retry == RetryConfig(schedule: [.seconds(1), .seconds(2)], maxAge: .seconds(7200)))
        #expect(config.source.input == .stdin)
    }

    @Test("${VAR} and ${VAR:-default} expand from the environment and are remembered as secrets")
    func environment() throws {
        let text = """
            version: 1
            source: { file: "${LOG_DIR:-/var/log/app}/events.jsonl" }
            endpoints:
              erp:
                url: "${ERP_URL}"
                headers: { Authorization: "Bearer ${ERP_TOKEN}", X-Cost: "$$5" }
            routes:
              - { name: orders, events: ["order.*"], to: erp }
            """
        let config = try load(text, environment: ["ERP_URL": "https://erp.example.com/in", "ERP_TOKEN": "t0ps3cret"])
        let erp = try #require(config.endpoint(named: "erp"))
        #expect(config.source.input == .file("/var/log/app/events.jsonl"))
        #expect(erp.url.text == "https://erp.example.com/in")
        #expect(erp.headers == [HTTPHeader("Authorization", "Bearer t0ps3cret"), HTTPHeader("X-Cost", "$5")])
        #expect(config.secrets.contains("Bearer t0ps3cret"))
        #expect(config.secrets.contains("https://erp.example.com/in"))
        #expect(!config.secrets.contains("/var/log/app/events.jsonl"))
    }

    @Test("secret_file reads a signing secret from a file, trimmed")
    func secretFile() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("herald-secret-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
        try (secret + "\n").write(to: folder.appendingPathComponent("erp.secret"), atomically: true, encoding: .utf8)
        let config = try load("""
            version: 1
            source: { file: ./events.jsonl }
            endpoints:
              erp:
                url: https://erp.example.com/hooks
                signing: { scheme: standard-webhooks, secret_file: ./erp.secret }
            routes:
              - { name: orders, events: ["order.*"], to: erp }
            """, path: folder.appendingPathComponent("config.yaml").path)
        #expect(config.endpoint(named: "erp")?.signing?.secrets == [secret])
        #expect(config.secrets.contains(secret))
    }

    @Test("a secret_file that is missing, a FIFO, a device or too large is a located error at once, never a hang", arguments: [
        ("/nonexistent/herald.secret", "No such file or directory"), ("/dev/zero", "not a regular file"),
        ("FIFO", "not a regular file"), ("BIG", "larger than 64 KiB"),
    ])
    func unusableSecretFile(path: String, reason: String) throws {
        let folder = "/tmp/herald-secret-\(UInt64.random(in: 0...UInt64.max))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var file = path
        if path == "FIFO" {
            file = folder + "/fifo"
            #expect(mkfifo(file, 0o600) == 0)  // nobody writes it: a blocking open would wait for ever
        } else if path == "BIG" {
            file = folder + "/big"
            try Data(repeating: 0x61, count: 65 << 10).write(to: URL(fileURLWithPath: file))
        }
        let result = ConfigLoader.load(text: """
            version: 1
            source: { file: ./events.jsonl }
            endpoints:
              erp:
                url: https://erp.example.com/hooks
                signing: { scheme: hmac-sha256, secret_file: \(file) }
            routes:
              - { name: orders, events: ["order.*"], to: erp }
            """, path: "c.yaml", environment: [:])
        guard case .failure(let errors) = result else { Issue.record("accepted"); return }
        #expect(errors.diagnostics.map(\.description) == ["c.yaml:6:50: cannot read secret_file '\(file)': \(reason)"])
    }

    @Test("anchors, aliases and << merge keys work, and keys written beside a merge win")
    func anchors() throws {
        let config = try load("""
            version: 1
            source: { file: ./events.jsonl }
            endpoints:
              a: &base { url: https://a.example.com, timeout: 2s, concurrency: 3 }
              b: { <<: *base, url: https://b.example.com, timeout: 9s }
            routes:
              - { name: r, events: &all ["*"], to: [a, b] }
              - { name: s, events: *all, to: b }
            """)
        let b = try #require(config.endpoint(named: "b"))
        #expect(b.url.text == "https://b.example.com")
        #expect(b.timeout == .seconds(9))
        #expect(b.concurrency == 3)
        #expect(config.routes[1].events.map(\.text) == ["*"])
    }

    @Test("http:// is accepted to loopback hosts and with allow_insecure")
    func insecureAllowed() throws {
        let config = try load("""
            version: 1
            source: { file: ./events.jsonl }
            endpoints:
              local: { url: "http://127.0.0.1:9000/hooks" }
              named: { url: "http://localhost:8080" }
              v6: { url: "http://[::1]:8080/x" }
              legacy: { url: "http://legacy.internal/hooks", allow_insecure: true }
            routes:
              - { name: r, events: ["*"], to: [local, named, v6, legacy] }
            """)
        #expect(config.endpoints.map(\.url.isLoopback) == [true, true, true, false])
        #expect(config.endpoint(named: "v6")?.url.port == 8080)
    }

    @Test("plain http is loopback only for exactly localhost, an IPv4 literal in 127.0.0.0/8 or ::1", arguments: [
        ("localhost", true), ("127.0.0.1", true), ("127.255.255.254", true), ("127.9.8.7", true), ("[::1]", true),
        ("[0:0:0:0:0:0:0:1]", true), ("127.attacker.example", false), ("127.0.0.1.nip.io", false), ("localhost.attacker.example", false),
        ("evil.localhost", false), ("127.1", false), ("0127.0.0.1", false), ("128.0.0.1", false), ("[::2]", false),
        ("[::ffff:127.0.0.1]", false), ("127.0.0.256", false),
    ])
    func loopbackLiterals(host: String, loopback: Bool) throws {
        let url = try EndpointURL.parse("http://\(host):8080/hooks").get()
        #expect(url.isLoopback == loopback)
        let text = Self.minimal.replacingOccurrences(of: "https://erp.example.com/hooks", with: "\"http://\(host):8080/hooks\"")
        let result = ConfigLoader.load(text: text, path: "c.yaml", environment: [:])
        if loopback {
            #expect(throws: Never.self) { try result.get() }
        } else {
            guard case .failure(let errors) = result else { Issue.record("http://\(host) passed without allow_insecure"); return }
            #expect(errors.diagnostics.map(\.description) == [
                "c.yaml:4:15: endpoint 'erp' uses http:// to a non-loopback host; use https:// (webhooks carry business data) or set allow_insecure: true",
            ])
        }
    }

    @Test("an empty file and a non-mapping document are clear errors")
    func emptyDocuments() {
        for (text, message) in [("", "c.yaml: the config is empty"), ("# nothing\n", "c.yaml: the config is empty"), ("- a\n- b\n", "c.yaml:1:1: the config must be a mapping, found a list")] {
            guard case .failure(let errors) = ConfigLoader.load(text: text, path: "c.yaml", environment: [:]) else {
                Issue.record("accepted \(text)")
                continue
            }
            #expect(errors.diagnostics.map(\.description) == [message])
        }
    }

    @Test("an unreadable path is reported without a location")
    func missingFile() {
        guard case .failure(let errors) = ConfigLoader.load(path: "/nonexistent/herald.yaml") else {
            Issue.record("accepted")
            return
        }
        #expect(errors.description == "/nonexistent/herald.yaml: no such config file")
    }
}
