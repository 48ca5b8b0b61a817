import HeraldHTTP
import Foundation
import Testing

@Suite("secrets never leave Herald")
struct SecretLeakTests {
    static let token = "PLANTEDbearer7f3a9c"
    static let basicPassword = "PLANTEDbasic41d2"
    static let signing = "whsec_" + Data("PLANTEDsigningkey-0123456789abcdef".utf8).base64EncodedString()
    static let hmacFile = "PLANTEDhmacfile99e1"
    static let proxyPassword = "PLANTEDproxy5b7e"
    static let urlPath = "PLANTEDpath3c4d"
    /// Every planted value, and the encoded forms a leak could take.
    static let planted = [
        token, basicPassword, signing, hmacFile, proxyPassword, urlPath,
        Data("herald:\(basicPassword)".utf8).base64EncodedString(), String(signing.dropFirst(6)),
    ]

    @Test("planted secrets appear in no output of run, check, explain, send or dead list, nor in any file under state_dir")
    func planted() async throws {
        // The flaky endpoint fails each delivery once (retry path); /refuse always answers 400 (dead-letter path).
        let receiver = try Receiver { request, previous in
            ServerResponse(status: request.target.hasPrefix("/hooks/refuse") ? 400 : (previous == 0 ? 500 : 204))
        }
        defer { receiver.stop() }
        let harness = try SidecarHarness(config: """
            version: 1
            state_dir: ./state
            shutdown_grace: 3s
            source: { file: ./events.jsonl }
            defaults:
              retry: { schedule: [100ms, 100ms], max_age: 1h }
            endpoints:
              flaky:
                url: "${HOOK_URL}"
                bearer_token: "${TOKEN}"
                signing: { scheme: standard-webhooks, secret: "${SIGNING_SECRET}" }
              refusing:
                url: \(receiver.url)/refuse
                basic_auth: { username: herald, password: \(Self.basicPassword) }
                signing: { scheme: hmac-sha256, secret_file: ./hmac.secret }
              proxied:
                url: https://erp.example.com/hooks
                proxy: http://herald:\(Self.proxyPassword)@127.0.0.1:1
            routes:
              - { name: all, events: ["*"], to: [flaky, refusing, proxied] }
            """)
        try (Self.hmacFile + "\n").write(to: harness.folder.appendingPathComponent("hmac.secret"), atomically: true, encoding: .utf8)
        let environment = ["HOOK_URL": "\(receiver.url)/\(Self.urlPath)", "TOKEN": Self.token, "SIGNING_SECRET": Self.signing]
        try harness.append((1...3).map { #"{"type":"order.created","id":"o-\#($0)","data":{"total":\#($0)}}"# })
        try harness.start(arguments: ["--log-level", "trace"], environment: environment)

        var outputs: [String: String] = [:]
        let dead = { (arguments: [String]) async throws -> HeraldProcess.Output in
            try await HeraldProcess.run(["dead"] + arguments + ["-c", harness.configPath], environment: environment, directory: harness.folder)
        }
        #expect(await waitUntil { (try? await dead(["list"]).stdout.contains("6 dead letters")) == true })
        #expect(await receiver.wait { $0.filter { !$0.headers.isEmpty }.count >= 9 })
        harness.signal(SIGTERM)
        #expect(await harness.waitForExit() == 0)

        // The secrets were really in use: the receiver saw them.
        let flaky = try #require(receiver.requests.first { $0.headers.first(named: "webhook-signature")?.hasPrefix("v1,") == true })
        #expect(flaky.headers.first(named: "Authorization") == "Bearer \(Self.token)")
        let refused = try #require(receiver.requests.first { $0.headers.first(named: "X-Hub-Signature-256") != nil })
        #expect(refused.headers.first(named: "Authorization") == "Basic " + Data("herald:\(Self.basicPassword)".utf8).base64EncodedString())

        let event = #"{"type":"order.created","id":"o-99","data":{"total":99}}"#
        let commands: [(String, [String])] = [
            ("check", ["check", "-c", harness.configPath]),
            ("check --json", ["check", "--json", "-c", harness.configPath]),
            ("explain", ["explain", "-c", harness.configPath, event]),
            ("send flaky", ["send", "-c", harness.configPath, "--endpoint", "flaky", event]),
            ("send refusing", ["send", "-c", harness.configPath, "--endpoint", "refusing", event]),
            ("send proxied", ["send", "-c", harness.configPath, "--endpoint", "proxied", event]),
            ("dead list", ["dead", "list", "-c", harness.configPath]),
            ("dead list --json", ["dead", "list", "--json", "-c", harness.configPath]),
        ]
        for (name, arguments) in commands {
            let result = try await HeraldProcess.run(arguments, environment: environment, directory: harness.folder)
            outputs[name] = result.stdout + result.stderr
        }
        outputs["run log"] = harness.log
        #expect(outputs["run log"]?.contains("will retry") == true)
        #expect(outputs["run log"]?.contains("dead-lettered") == true)
        #expect(outputs["explain"]?.contains("Authorization: [redacted]") == true)
        #expect(outputs["explain"]?.contains("webhook-signature: v1,[redacted]") == true)
        #expect(outputs["explain"]?.contains("X-Hub-Signature-256: sha256=[redacted]") == true)
        #expect(outputs["send proxied"]?.contains("no response") == true)
        #expect(outputs["dead list"]?.contains("6 dead letters") == true)

        for (name, text) in outputs {
            for secret in Self.planted {
                #expect(!text.contains(secret), "\(name) shows \(secret)")
            }
        }
        let state = URL(fileURLWithPath: harness.stateDir)
        let files = (FileManager.default.enumerator(at: state, includingPropertiesForKeys: nil)?.allObjects as? [URL] ?? [])
            .filter { (try? $0.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true }
        #expect(files.count >= 2)
        for file in files {
            let bytes = try Data(contentsOf: file)
            for secret in Self.planted {
                #expect(bytes.range(of: Data(secret.utf8)) == nil, "\(file.lastPathComponent) holds \(secret)")
            }
        }
    }

    static let echoToken = "PLANTEDechoTok8e2f"
    static let echoPassword = "PLANTEDechoPw77c1"
    static let echoURLKey = "PLANTED/echo key+91"

    @Test("a receiver that echoes the bare token, the base64 credentials and the decoded URL key leaks none of them into deliveries.jsonl, /deliveries, herald log or the logs")
    func echoingReceiver() async throws {
        // Echoes what a careless receiver would: each credential as it arrived, without its framing.
        let receiver = try Receiver { request, previous in
            let token = request.headers.first(named: "X-Token").map { String($0.dropFirst("tok ".count)) } ?? ""
            let basic = request.headers.first(named: "Authorization").map { String($0.dropFirst("Basic ".count)) } ?? ""
            let query = request.target.split(separator: "=", maxSplits: 1).last.map(String.init) ?? ""
            let body = "token=\(token) credentials=\(basic) key=\(query.removingPercentEncoding ?? "") raw=\(query)"
            return ServerResponse(status: previous == 0 ? 500 : 200, body: Array(body.utf8))
        }
        defer { receiver.stop() }
        let admin = try PortReservation()
        defer { admin.release() }
        let port = admin.port
        let harness = try SidecarHarness(config: """
            version: 1
            state_dir: ./state
            shutdown_grace: 3s
            source: { file: ./events.jsonl }
            admin: { listen: "127.0.0.1:\(port)" }
            endpoints:
              echo:
                url: "\(receiver.url)/echo?key=${URL_KEY}"
                headers: { X-Token: "tok ${TOK}" }
                basic_auth: { username: herald, password: "pw-${PASS}" }
                retry: { schedule: [100ms], max_age: 1h }
            routes:
              - { name: all, events: ["*"], to: echo }
            """)
        let environment = [
            "TOK": Self.echoToken, "PASS": Self.echoPassword,
            "URL_KEY": Self.echoURLKey.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "",
        ]
        try harness.append((1...2).map { #"{"type":"order.created","id":"o-\#($0)"}"# })
        try harness.start(arguments: ["--log-level", "trace"], environment: environment)
        #expect(await receiver.wait { $0.count >= 4 })
        // The receiver really echoed the secrets.
        let credentials = Data("herald:pw-\(Self.echoPassword)".utf8).base64EncodedString()
        #expect(receiver.requests.first?.headers.first(named: "X-Token") == "tok \(Self.echoToken)")
        #expect(receiver.requests.first?.headers.first(named: "Authorization") == "Basic \(credentials)")

        let client = try HTTPClient()
        defer { client.shutdown() }
        let deliveries = try await poll({
            await client.send(HTTPRequest(method: "GET", url: "http://127.0.0.1:\(port)/deliveries?limit=100", timeout: .seconds(30)))
        }, until: { $0.status == 200 && String(decoding: $0.body, as: UTF8.self).components(separatedBy: "\"delivery_id\"").count - 1 >= 4 })
        var outputs = ["GET /deliveries": String(decoding: deliveries.body, as: UTF8.self)]
        harness.signal(SIGTERM)
        #expect(await harness.waitForExit() == 0)
        for arguments in [["log"], ["log", "--json"]] {
            let result = try await HeraldProcess.run(arguments + ["-c", harness.configPath], environment: environment, directory: harness.folder)
            #expect(result.status == 0)
            outputs["herald " + arguments.joined(separator: " ")] = result.stdout + result.stderr
        }
        outputs["run log"] = harness.log
        outputs["deliveries.jsonl"] = try String(contentsOfFile: harness.stateDir + "/log/deliveries.jsonl", encoding: .utf8)
        #expect(outputs["deliveries.jsonl"]?.contains("token=[redacted] credentials=[redacted] key=[redacted] raw=[redacted]") == true)
        #expect(outputs["herald log"]?.contains("response: token=[redacted]") == true)

        let planted = [Self.echoToken, Self.echoPassword, Self.echoURLKey, credentials, environment["URL_KEY"]!]
        for (name, text) in outputs {
            for secret in planted {
                #expect(!text.contains(secret), "\(name) shows \(secret)")
            }
        }
    }
}
