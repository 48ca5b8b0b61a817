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
            each request's signature is verified: a whsec_ secret checks Standard Webhooks'
            webhook-signature, any other secret checks X-Hub-Signature-256. Stop it with Ctrl-C.
            """
    )

    @Option(help: "Port to listen on.")
    var port: Int = 9000

    @Option(help: "Address to listen on.")
    var host: String = "127.0.0.1"

    @Option(help: "Signing secret to verify requests with.")
    var secret: String?

    @Option(help: "HTTP status to answer with.")
    var status: Int = 204

    @Flag(help: "Print one line per request, without headers and body.")
    var quiet = false

    func run() async throws {
        let secret = secret, status = status, quiet = quiet
        let server: HTTPServer
        do {
            server = try HTTPServer(host: host, port: port) { request in
                ListenCommand.report(request, secret: secret, quiet: quiet)
                return ServerResponse(status: status)
            }
        } catch {
            printError("herald listen: cannot listen on \(host):\(port): \(error)")
            throw ExitCode(ExitStatus.runtime)
        }
        FileHandle.standardOutput.write(Data("herald listen: receiving on \(server.baseURL) (answering \(status)\(secret == nil ? "" : ", verifying signatures"))\n".utf8))
        while true { try await Task.sleep(for: .seconds(3600)) }
    }

    private static func report(_ request: ReceivedRequest, secret: String?, quiet: Bool) {
        var verdict = ""
        if let secret {
            switch SignatureVerifier.verify(headers: request.headers, body: request.body, secret: secret) {
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
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }

    private static func timestamp() -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "HH:mm:ss.SSS"
        return formatter.string(from: Date())
    }
}
