import HeraldHTTP
import HeraldTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// nginx with a self-signed certificate for 127.0.0.1 on two ports: one plain TLS, one that requires a client
/// certificate.
final class TLSFixture {
    let directory: String
    let port: Int
    let mutualPort: Int
    private let nginx: ChildProcess

    static var available: Bool {
        fileExists("/usr/sbin/nginx") && fileExists("/usr/bin/openssl")
    }

    private init(directory: String, port: Int, mutualPort: Int, nginx: ChildProcess) {
        self.directory = directory
        self.port = port
        self.mutualPort = mutualPort
        self.nginx = nginx
    }

    /// Makes the certificates, starts nginx and waits until both ports accept; openssl and the waits run off
    /// Swift's cooperative pool.
    static func start() async throws -> TLSFixture {
        let dir = makeTemporaryDirectory()
        for name in ["server", "client"] {
            let status = await ChildProcess.run([
                "/usr/bin/openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                "-keyout", "\(dir)/\(name).key", "-out", "\(dir)/\(name).pem",
                "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
            ])
            guard status == 0 else {
                removeDirectory(dir)
                throw FixtureError(message: "openssl req failed for \(name)")
            }
        }
        let port = try Self.freePort()
        let mutualPort = try Self.freePort()
        writeFile(
            "\(dir)/nginx.conf",
            """
            worker_processes 1;
            daemon off;
            pid \(dir)/nginx.pid;
            error_log \(dir)/error.log warn;
            events { worker_connections 256; }
            http {
                access_log off;
                client_max_body_size 16m;
                client_body_temp_path \(dir)/body;
                proxy_temp_path \(dir)/proxy;
                fastcgi_temp_path \(dir)/fastcgi;
                uwsgi_temp_path \(dir)/uwsgi;
                scgi_temp_path \(dir)/scgi;
                ssl_certificate \(dir)/server.pem;
                ssl_certificate_key \(dir)/server.key;
                server {
                    listen 127.0.0.1:\(port) ssl http2;
                    location / { return 204; }
                }
                server {
                    listen 127.0.0.1:\(mutualPort) ssl http2;
                    ssl_verify_client on;
                    ssl_client_certificate \(dir)/client.pem;
                    location / { return 204; }
                }
            }
            """)
        guard let nginx = ChildProcess.start(["/usr/sbin/nginx", "-p", dir, "-c", "\(dir)/nginx.conf"]) else {
            removeDirectory(dir)
            throw FixtureError(message: "could not start nginx")
        }
        let fixture = TLSFixture(directory: dir, port: port, mutualPort: mutualPort, nginx: nginx)
        // A loaded machine can take seconds to start nginx; a started one returns at the first poll.
        let deadline = ContinuousClock.now + .seconds(60)
        while !(Self.accepts(port) && Self.accepts(mutualPort)) && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        return fixture
    }

    /// nginx is reaped and the directory removed on a thread of their own, so the test does not wait for it.
    deinit {
        let directory = directory
        nginx.terminate { removeDirectory(directory) }
    }

    private static func freePort() throws -> Int {
        let probe = try HTTPServer(handler: { _ in ServerResponse() })
        defer { probe.stop() }
        return probe.port
    }

    private static func accepts(_ port: Int) -> Bool {
        (try? RawSocket(port: port)) != nil
    }
}

struct FixtureError: Error {
    var message: String
}

@Suite("TLS and HTTP/2 against nginx", .enabled(if: TLSFixture.available), .serialized)
struct TLSTests {
    @Test("a server certificate is verified against the given CA file, and HTTP/2 is negotiated")
    func verifiedWithCAFile() async throws {
        let fixture = try await TLSFixture.start()
        let client = try HTTPClient()
        defer { client.shutdown() }
        let tls = TLSOptions(caFile: "\(fixture.directory)/server.pem")
        let url = "https://127.0.0.1:\(fixture.port)/"
        let first = await client.send(HTTPRequest(url: url, body: Array("{}".utf8), tls: tls))
        #expect(first.error == nil)
        #expect(first.status == 204)
        #expect(first.httpVersion == "2")
        let second = await client.send(HTTPRequest(url: url, body: Array("{}".utf8), tls: tls))
        #expect(second.status == 204)
        #expect(second.connectionReused)
    }

    @Test("an unknown certificate authority gives a tls error unless verification is skipped")
    func unknownAuthority() async throws {
        let fixture = try await TLSFixture.start()
        let client = try HTTPClient()
        defer { client.shutdown() }
        let url = "https://127.0.0.1:\(fixture.port)/"
        let refused = await client.send(HTTPRequest(url: url, body: [1]))
        #expect(refused.error?.kind == .tls)
        #expect(refused.status == nil)
        let skipped = await client.send(HTTPRequest(url: url, body: [1], tls: TLSOptions(insecureSkipVerify: true)))
        #expect(skipped.error == nil)
        #expect(skipped.status == 204)
    }

    @Test("a client certificate is presented when the server requires one")
    func clientCertificate() async throws {
        let fixture = try await TLSFixture.start()
        let client = try HTTPClient()
        defer { client.shutdown() }
        let dir = fixture.directory
        let url = "https://127.0.0.1:\(fixture.mutualPort)/"
        let without = await client.send(HTTPRequest(url: url, body: [1], tls: TLSOptions(caFile: "\(dir)/server.pem")))
        #expect(without.status == 400)
        let with = await client.send(
            HTTPRequest(
                url: url, body: [1],
                tls: TLSOptions(
                    caFile: "\(dir)/server.pem", clientCert: "\(dir)/client.pem", clientKey: "\(dir)/client.key")))
        #expect(with.error == nil)
        #expect(with.status == 204)
    }

    @Test("a complete answer that arrives before the whole body was sent is a success")
    func earlyAnswer() async throws {
        let fixture = try await TLSFixture.start()
        let client = try HTTPClient()
        defer { client.shutdown() }
        let tls = TLSOptions(caFile: "\(fixture.directory)/server.pem")
        for size in [2, 1_000, 100_000, 1_000_000, 4_000_000] {
            let result = await client.send(
                HTTPRequest(url: "https://127.0.0.1:\(fixture.port)/", body: patternBytes(count: size, seed: 1), tls: tls))
            #expect(result.error == nil, "body of \(size) bytes")
            #expect(result.status == 204)
        }
    }

    @Test("a CA file that does not exist gives a tls error")
    func missingCAFile() async throws {
        let fixture = try await TLSFixture.start()
        let client = try HTTPClient()
        defer { client.shutdown() }
        let result = await client.send(
            HTTPRequest(
                url: "https://127.0.0.1:\(fixture.port)/", body: [1],
                tls: TLSOptions(caFile: "\(fixture.directory)/missing.pem")))
        #expect(result.error?.kind == .tls)
    }
}
