import ArgumentParser
import Foundation
import HeraldCore
import HeraldHTTP

struct ListenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "listen",
        abstract: "A local webhook receiver for trying routes out: prints each request and checks its signature.",
        discussion: """
            Listens on 127.0.0.1 and answers every request with --status (default 204). With --secret,
            each request's signature is verified: a whsec_ secret checks Standard Webhooks' v1
            webhook-signature, a whpk_ public key checks its ed25519 v1a signature, any other secret
            checks an hmac-sha256 hex digest in --signature-header (X-Hub-Signature-256, with prefix
            sha256=). At most --max-connections clients are served at once (more are answered 503); a
            request must arrive within 30 seconds of its first byte and a quiet connection is closed
            after 75. Stop it with Ctrl-C.
            """
    )

    @Option(help: "Port to listen on.")
    var port: Int = 9000

    @Option(help: "Address to listen on.")
    var host: String = "127.0.0.1"

    @Option(help: "Signing secret (whsec_, hmac) or public key (whpk_) to verify requests with.")
    var secret: String?

    @Option(help: "For an hmac-sha256 secret: the header carrying the digest.")
    var signatureHeader: String = "X-Hub-Signature-256"

    @Option(help: "For an hmac-sha256 secret: the prefix before the hex digest.")
    var signaturePrefix: String = "sha256="

    @Option(help: "HTTP status to answer with.")
    var status: Int = 204

    @Option(help: "Connections served at once, one thread each; more are answered 503.")
    var maxConnections: Int = 256

    @Flag(help: "Print one line per request, without headers and body.")
    var quiet = false

    func validate() throws {
        guard (1...100_000).contains(maxConnections) else {
            throw ValidationError("--max-connections must be between 1 and 100000, found \(maxConnections)")
        }
    }

    func run() async throws {
        let secret = secret, status = status, quiet = quiet
        let hmac = (header: signatureHeader, prefix: signaturePrefix)
        let server: HTTPServer
        do {
            server = try HTTPServer(host: host, port: port, maxConnections: maxConnections) { request in
                ListenCommand.report(request, secret: secret, hmac: hmac, quiet: quiet)
                return ServerResponse(status: status)
            }
        } catch {
            printError("herald listen: cannot listen on \(host):\(port): \(error)")
            throw ExitCode(ExitStatus.runtime)
        }
        StandardStream.write("herald listen: receiving on \(server.baseURL) (answering \(status)\(secret == nil ? "" : ", verifying signatures"))\n", to: STDOUT_FILENO)
        while true { try await Task.sleep(for: .seconds(3600)) }
    }

    private static func report(_ request: ReceivedRequest, secret: String?, hmac: (header: String, prefix: String), quiet: Bool) {
        var verdict = ""
        if let secret {
            switch SignatureVerifier.verify(headers: request.headers, body: request.body, secret: secret, hmacHeader: hmac.header, hmacPrefix: hmac.prefix) {
            case .valid: verdict = "  signature: valid"
            case .invalid(let why): verdict = "  signature: INVALID (\(why))"
            case .missing(let why): verdict = "  signature: missing (\(why))"
            }
        }
        let id = request.headers.first(named: "webhook-id").map { "  \($0)" } ?? ""
        var text = "\(timestamp()) \(request.method) \(request.target)\(id)  \(request.body.count) bytes\(verdict)"
        if !quiet {
            for header in request.headers { text += "\n  \(header.name): \(header.value)" }
            text += "\n\n  " + String(decoding: request.body.prefix(2048), as: UTF8.self) + (request.body.count > 2048 ? " …" : "") + "\n"
        }
        StandardStream.write(text + "\n", to: STDOUT_FILENO)
    }

    private static func timestamp() -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "HH:mm:ss.SSS"
        return formatter.string(from: Date())
    }
}
