import Foundation
import HeraldHTTP
import HeraldTestSupport
import Testing

/// `/proc/PID/status` figures of a running process.
private func procStatus(_ pid: Int32, _ key: String) -> Int? {
    guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
    for line in text.split(separator: "\n") where line.hasPrefix(key + ":") {
        return Int(line.dropFirst(key.count + 1).split(whereSeparator: { $0 == " " || $0 == "\t" }).first ?? "")
    }
    return nil
}

@Suite("herald listen and the admin API as network surfaces", .serialized)
struct NetworkSurfaceTests {
    /// Starts `herald listen` on a reserved port; the caller terminates it.
    static func startListen(_ arguments: [String] = []) async throws -> (Process, Int) {
        let reserved = try PortReservation()
        defer { reserved.release() }
        let listener = Process()
        listener.executableURL = HeraldProcess.binary
        listener.arguments = ["listen", "--port", "\(reserved.port)", "--quiet"] + arguments
        listener.standardOutput = FileHandle.nullDevice
        listener.standardError = FileHandle.nullDevice
        try listener.run()
        let port = reserved.port
        #expect(await waitUntil { (try? RawSocket(port: port, receiveTimeout: .seconds(10))) != nil })
        return (listener, port)
    }

    @Test("herald listen: 2,000 slow connections make at most --max-connections threads; the rest are answered 503")
    func listenConnectionCap() async throws {
        let (listener, port) = try await Self.startListen(["--max-connections", "100"])
        defer { listener.terminate() }
        let pid = listener.processIdentifier
        let idleThreads = try #require(procStatus(pid, "Threads"))
        let (held, refused) = await onDedicatedThread { () -> ([RawSocket], Int) in
            var held: [RawSocket] = []
            var refused = 0
            for _ in 0..<2000 {
                guard let connection = (try? RawSocket(port: port, receiveTimeout: .seconds(10))) else { continue }
                // A slowloris start: a request line and nothing more.
                connection.write(Array("GET / HTTP/1.1\r\n".utf8))
                held.append(connection)
            }
            for connection in held where connection.readAvailable(milliseconds: 0).hasPrefix("HTTP/1.1 503") { refused += 1 }
            return (held, refused)
        }
        #expect(held.count == 2000)
        let threads = try #require(procStatus(pid, "Threads"))
        #expect(threads <= idleThreads + 100 + 4, "threads: \(idleThreads) idle, \(threads) under 2,000 connections")
        // The refusals are written at accept time; those not yet read are on their way.
        let late = await onDedicatedThread { held.reduce(0) { $0 + ($1.readAvailable(milliseconds: 0).hasPrefix("HTTP/1.1 503") ? 1 : 0) } }
        #expect(refused + late >= 1800, "\(refused + late) of 2,000 answered 503")
        print("listen cap: \(idleThreads) threads idle, \(threads) with 2,000 connections held; \(refused + late) refused with 503")
        withExtendedLifetime(held) {}
    }

    @Test("herald listen: 50 connections declaring 64 MiB bodies cost what they send, not 64 MiB each")
    func listenDeclaredBodies() async throws {
        let (listener, port) = try await Self.startListen()
        defer { listener.terminate() }
        let pid = listener.processIdentifier
        let before = try #require(procStatus(pid, "VmRSS"))
        let held = await onDedicatedThread { () -> [RawSocket] in
            let chunk = [UInt8](repeating: UInt8(ascii: "x"), count: 64 << 10)
            return (0..<50).compactMap { _ in
                let connection = (try? RawSocket(port: port, receiveTimeout: .seconds(10)))
                connection?.write(Array("POST /big HTTP/1.1\r\nContent-Length: 67108864\r\n\r\n".utf8) + chunk)
                return connection
            }
        }
        #expect(held.count == 50)
        // Give the server time to read what was sent: the RSS is sampled until it stops growing.
        var after = before
        for _ in 0..<20 {
            try await Task.sleep(for: .milliseconds(100))
            after = max(after, procStatus(pid, "VmRSS") ?? 0)
        }
        let grownMiB = (after - before) / 1024
        print("listen declared bodies: RSS \(before / 1024) MiB before, \(after / 1024) MiB with 50 × 64 MiB declared")
        #expect(grownMiB < 64, "RSS grew \(grownMiB) MiB; allocating each declared body would be 3,200 MiB")
        withExtendedLifetime(held) {}
    }

    /// The config of examples/deploy/kubernetes.yaml's ConfigMap, with its Secret's files under `folder`.
    static func kubernetesConfig(in folder: URL) throws -> String {
        let manifest = try String(contentsOf: HeraldProcess.root.appendingPathComponent("examples/deploy/kubernetes.yaml"), encoding: .utf8)
        let lines = manifest.split(separator: "\n", omittingEmptySubsequences: false)
        let start = try #require(lines.firstIndex { $0.hasPrefix("  config.yaml: |") })
        let body = lines[(start + 1)...].prefix { $0.hasPrefix("    ") || $0.isEmpty }.map { String($0.dropFirst(4)) }
        func secret(_ key: String) throws -> String {
            let line = try #require(lines.first { $0.hasPrefix("  \(key): ") })
            return String(line.dropFirst(key.count + 4))
        }
        let secrets = folder.appendingPathComponent("secrets")
        try FileManager.default.createDirectory(at: secrets, withIntermediateDirectories: true)
        for key in ["erp-webhook-secret", "admin-token"] {
            try secret(key).write(to: secrets.appendingPathComponent(key), atomically: true, encoding: .utf8)
        }
        return body.joined(separator: "\n")
            .replacingOccurrences(of: "/secrets/", with: secrets.path + "/")
            .replacingOccurrences(of: "/var/lib/herald", with: folder.appendingPathComponent("state").path)
            .replacingOccurrences(of: "/events/", with: folder.path + "/")
    }

    @Test("the Kubernetes example passes check without warnings; without its token, check warns about the open admin API")
    func kubernetesExample() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("herald-k8s-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let config = try Self.kubernetesConfig(in: folder)
        #expect(config.contains("token_file:"))
        try config.write(to: folder.appendingPathComponent("config.yaml"), atomically: true, encoding: .utf8)
        let checked = try await HeraldProcess.run(["check", "-c", "config.yaml"], environment: ["ERP_TOKEN": "t"], directory: folder)
        #expect(checked.status == 0, "\(checked.stderr)")
        #expect(!checked.stderr.contains("warning"), "\(checked.stderr)")

        let open = config.split(separator: "\n").filter { !$0.contains("token_file:") }.joined(separator: "\n")
        try open.write(to: folder.appendingPathComponent("open.yaml"), atomically: true, encoding: .utf8)
        let warned = try await HeraldProcess.run(["check", "-c", "open.yaml"], environment: ["ERP_TOKEN": "t"], directory: folder)
        #expect(warned.status == 0)
        #expect(warned.stderr.contains("warning: admin.listen 0.0.0.0:9901 is not a loopback address and has no token"), "\(warned.stderr)")
    }

    @Test("herald run with admin.token_file: /metrics needs the bearer token, the probes do not, and the token never reaches the log")
    func runWithToken() async throws {
        let receiver = try Receiver()
        defer { receiver.stop() }
        let admin = try PortReservation()
        defer { admin.release() }
        let port = admin.port
        let harness = try SidecarHarness(config: SidecarHarness.config(url: receiver.url)
            + "\nadmin: { listen: \"127.0.0.1:\(port)\", token_file: ./admin-token }\n")
        try "run-t0ken-value\n".write(to: harness.folder.appendingPathComponent("admin-token"), atomically: true, encoding: .utf8)
        try harness.start()
        #expect(await waitUntil { harness.log.contains("admin API listening") })
        let client = try HTTPClient()
        defer { client.shutdown() }
        let base = "http://127.0.0.1:\(port)"
        #expect(await client.send(HTTPRequest(method: "GET", url: base + "/metrics")).status == 401)
        #expect(await client.send(HTTPRequest(method: "GET", url: base + "/deliveries", headers: [HTTPHeader("Authorization", "Bearer nope")])).status == 401)
        let metrics = await client.send(HTTPRequest(method: "GET", url: base + "/metrics", headers: [HTTPHeader("Authorization", "Bearer run-t0ken-value")]))
        #expect(metrics.status == 200)
        #expect(await client.send(HTTPRequest(method: "GET", url: base + "/healthz")).status == 200)
        #expect(await client.send(HTTPRequest(method: "GET", url: base + "/readyz")).body.count < 32, "status only without the token")
        harness.signal(SIGTERM)
        #expect(await harness.waitForExit() == 0)
        #expect(!harness.log.contains("run-t0ken-value"))
    }
}
