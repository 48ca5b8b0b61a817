import HeraldHTTP
import Foundation
import Testing
import HeraldTestSupport

/// A private CA, a server certificate for 127.0.0.1 and a client certificate it signed, and nginx
/// serving one port with TLS and one that requires a client certificate, logging what it accepted.
final class PrivateCANginx {
    let folder: URL
    let port: Int
    let mutualPort: Int
    private let nginx: Process
    /// Held while nginx runs, so that no receiver in a parallel test is given either port.
    private let reservations: [PortReservation]

    static var available: Bool {
        FileManager.default.isExecutableFile(atPath: "/usr/sbin/nginx") && FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl")
    }

    var accessLog: [String] {
        ((try? String(contentsOf: folder.appendingPathComponent("access.log"), encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    /// Makes the certificates and starts nginx; openssl and the wait for nginx's ports stay off the cooperative pool.
    init() async throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("herald-tls-\(UUID().uuidString)")
        let certs = folder.appendingPathComponent("certs")
        try FileManager.default.createDirectory(at: certs, withIntermediateDirectories: true)
        let dir = certs.path
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        try await Self.openssl(["req", "-x509"] + ec + ["-days", "1", "-keyout", "\(dir)/ca.key", "-out", "\(dir)/ca.pem", "-subj", "/CN=Herald Test CA"])
        try "subjectAltName=IP:127.0.0.1\n".write(toFile: "\(dir)/server.ext", atomically: true, encoding: .utf8)
        try "extendedKeyUsage=clientAuth\n".write(toFile: "\(dir)/client.ext", atomically: true, encoding: .utf8)
        for (name, subject) in [("server", "/CN=127.0.0.1"), ("client", "/CN=herald-client")] {
            try await Self.openssl(["req"] + ec + ["-keyout", "\(dir)/\(name).key", "-out", "\(dir)/\(name).csr", "-subj", subject])
            try await Self.openssl(["x509", "-req", "-in", "\(dir)/\(name).csr", "-CA", "\(dir)/ca.pem", "-CAkey", "\(dir)/ca.key", "-CAcreateserial",
                              "-days", "1", "-out", "\(dir)/\(name).pem", "-extfile", "\(dir)/\(name).ext"])
        }
        reservations = [try PortReservation(), try PortReservation()]
        port = reservations[0].port
        mutualPort = reservations[1].port
        let root = folder.path
        try """
            worker_processes 1;
            daemon off;
            pid \(root)/nginx.pid;
            error_log \(root)/error.log warn;
            events { worker_connections 64; }
            http {
                log_format herald '$server_port $ssl_client_verify $request_method $uri';
                access_log \(root)/access.log herald;
                client_body_temp_path \(root)/body;
                proxy_temp_path \(root)/proxy;
                fastcgi_temp_path \(root)/fastcgi;
                uwsgi_temp_path \(root)/uwsgi;
                scgi_temp_path \(root)/scgi;
                ssl_certificate \(dir)/server.pem;
                ssl_certificate_key \(dir)/server.key;
                server {
                    listen 127.0.0.1:\(port) ssl;
                    location / { return 204; }
                }
                server {
                    listen 127.0.0.1:\(mutualPort) ssl;
                    ssl_verify_client on;
                    ssl_client_certificate \(dir)/ca.pem;
                    location / { return 204; }
                }
            }
            """.write(toFile: "\(root)/nginx.conf", atomically: true, encoding: .utf8)
        nginx = Process()
        nginx.executableURL = URL(fileURLWithPath: "/usr/sbin/nginx")
        nginx.arguments = ["-p", root, "-c", "\(root)/nginx.conf"]
        nginx.standardError = FileHandle.nullDevice
        try nginx.run()
        let (port, mutualPort) = (port, mutualPort)
        #expect(await waitUntil { Self.accepts(port) && Self.accepts(mutualPort) }, "nginx accepts on both ports")
    }

    /// Writes `config.yaml` beside the certificates: stdin source, state in `./state`, then `rest`.
    func writeConfig(_ rest: String) throws -> URL {
        let url = folder.appendingPathComponent("config.yaml")
        try ("version: 1\nstate_dir: ./state\nsource: { stdin: true, drain_timeout: 60s }\n" + rest).write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    /// nginx is reaped and the folder removed on a thread of their own, so no test waits for it on the pool.
    deinit {
        let nginx = nginx, folder = folder
        nginx.terminate()
        detachThread {
            nginx.waitUntilExit()
            try? FileManager.default.removeItem(at: folder)
        }
    }

    private static func openssl(_ arguments: [String]) async throws {
        try await onDedicatedThread { () throws -> Void in try opensslBlocking(arguments) }
    }

    private static func opensslBlocking(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: "openssl \(arguments[0]) failed"]) }
    }

    /// Whether something accepts TCP connections on 127.0.0.1 at `port`.
    static func accepts(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
}

@Suite("https endpoints with a private CA and mutual TLS", .enabled(if: PrivateCANginx.available), .serialized)
struct TLSDeliveryTests {
    @Test("herald run delivers over TLS verified with ca_file, presenting a client certificate where required; send agrees")
    func privateCAAndMutualTLS() async throws {
        let nginx = try await PrivateCANginx()
        let config = try nginx.writeConfig("""
            defaults:
              tls: { ca_file: certs/ca.pem }
              retry: { schedule: [100ms], max_age: 1h }
            endpoints:
              private-ca: { url: "https://127.0.0.1:\(nginx.port)/ca" }
              mutual:
                url: "https://127.0.0.1:\(nginx.mutualPort)/mtls"
                tls: { client_cert: certs/client.pem, client_key: certs/client.key }
              mutual-without-cert: { url: "https://127.0.0.1:\(nginx.mutualPort)/nocert" }
              mutual-one-file: { url: "https://127.0.0.1:\(nginx.mutualPort)/onefile", tls: { client_cert: certs/client-and-key.pem } }
              system-ca: { url: "https://127.0.0.1:\(nginx.port)/system", tls: null }
            routes:
              - { name: all, events: ["*"], to: [private-ca, mutual] }
            """)
        let certs = nginx.folder.appendingPathComponent("certs")
        try (Data(contentsOf: certs.appendingPathComponent("client.pem")) + Data(contentsOf: certs.appendingPathComponent("client.key")))
            .write(to: certs.appendingPathComponent("client-and-key.pem"))
        let run = try await HeraldProcess.run(["run", "-c", config.path], stdin: #"{"type":"order.created","id":"o-1"}"# + "\n", directory: nginx.folder)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(try await HeraldProcess.run(["dead", "list", "-c", config.path], directory: nginx.folder).stdout == "no dead letters\n")
        #expect(nginx.accessLog.sorted() == ["\(nginx.mutualPort) SUCCESS POST /mtls", "\(nginx.port) NONE POST /ca"].sorted())

        let event = #"{"type":"order.created","id":"o-2"}"#
        let send = { (endpoint: String) async throws -> HeraldProcess.Output in
            try await HeraldProcess.run(["send", "-c", config.path, "--endpoint", endpoint, event], directory: nginx.folder)
        }
        let mutual = try await send("mutual")
        #expect(mutual.status == 0)
        #expect(mutual.stdout.contains("< HTTP 204"))
        #expect(try await send("mutual-one-file").status == 0)
        let withoutCert = try await send("mutual-without-cert")
        #expect(withoutCert.status == 3)
        #expect(withoutCert.stdout.contains("< HTTP 400"))
        let systemCA = try await send("system-ca")
        #expect(systemCA.status == 3)
        #expect(systemCA.stdout.contains("no response") && systemCA.stdout.contains("tls"))
    }

    @Test("insecure_skip_verify is accepted with a warning in check and at start-up")
    func insecureWarning() async throws {
        let nginx = try await PrivateCANginx()
        let config = try nginx.writeConfig("""
            endpoints:
              lax: { url: "https://127.0.0.1:\(nginx.port)/lax", tls: { insecure_skip_verify: true } }
            routes:
              - { name: all, events: ["*"], to: lax }
            """)
        let check = try await HeraldProcess.run(["check", "-c", config.path], directory: nginx.folder)
        #expect(check.status == 0)
        #expect(check.stderr.contains("warning: endpoint 'lax': tls.insecure_skip_verify is on"))
        let run = try await HeraldProcess.run(["run", "-c", config.path], stdin: #"{"type":"a","id":"1"}"# + "\n", directory: nginx.folder)
        #expect(run.status == 0)
        #expect(run.stderr.contains("tls.insecure_skip_verify is on"))
        #expect(nginx.accessLog == ["\(nginx.port) NONE POST /lax"])
    }
}
