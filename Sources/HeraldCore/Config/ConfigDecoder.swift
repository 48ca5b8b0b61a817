/// Turns a YAML node tree into a validated `HeraldConfig`, reporting every problem at once.
struct ConfigDecoder {
    static let topKeys = ["version", "state_dir", "watch", "shutdown_grace", "source", "journal", "defaults", "endpoints", "routes", "admin", "delivery_log", "dead_letters"]

    let reader: ConfigReader

    func decode(_ root: YAMLNode) -> HeraldConfig? {
        guard let top = reader.fields(root, of: "the config", allowed: Self.topKeys, required: ["version", "source", "endpoints", "routes"]) else {
            if root.isNull { reader.error("the config is empty", at: root.mark) }
            return nil
        }
        var version = 1
        if let node = top["version"], let value = reader.int(node, "'version'", in: 1...Int.max) {
            if value != 1 { reader.error("unsupported config version \(value) (this Herald reads version 1)", at: node.mark) }
            version = value
        }
        let stateDir = top["state_dir"].flatMap { reader.string($0, "'state_dir'") } ?? "./.herald"
        let watch = top["watch"].flatMap { reader.bool($0, "'watch'") } ?? false
        let grace = top["shutdown_grace"].flatMap { reader.duration($0, "'shutdown_grace'") } ?? .seconds(10)
        let sources = top["source"].flatMap(decodeSources)
        let journal = decodeJournal(top["journal"])
        let endpoints = decodeEndpoints(top["endpoints"], defaults: top["defaults"])
        let routes = decodeRoutes(top["routes"], endpointNames: Self.declaredNames(top["endpoints"]))
        let admin = top["admin"].flatMap(decodeAdmin)
        let deliveryLog = decodeDeliveryLog(top["delivery_log"])
        let deadLetters = decodeDeadLetters(top["dead_letters"], journal: journal)

        guard reader.diagnostics.isEmpty, let sources, let endpoints, let routes else { return nil }
        var config = HeraldConfig(
            path: reader.file, version: version, stateDir: reader.resolvedPath(stateDir), watch: watch,
            shutdownGrace: grace, sources: sources.list, journal: journal, endpoints: endpoints, routes: routes,
            admin: admin, deliveryLog: deliveryLog, secrets: reader.secrets
        )
        config.deadLetters = deadLetters
        config.sourcesListed = sources.listed
        return config
    }

    /// Endpoint names as written, including endpoints that failed to decode, so that one bad
    /// endpoint does not also make every route that names it an error.
    static func declaredNames(_ node: YAMLNode?) -> [String] {
        guard let node, case .mapping(let pairs) = node.kind else { return [] }
        return pairs.compactMap { $0.key.scalar }
    }

    private func decodeJournal(_ node: YAMLNode?) -> JournalConfig {
        var config = JournalConfig(maxBytes: 1 << 30)
        guard let node, let fields = reader.fields(node, of: "'journal'", allowed: ["max_bytes"]) else { return config }
        if let size = fields["max_bytes"], let value = reader.byteSize(size, "'journal.max_bytes'") {
            if value < 1 << 20 { reader.error("'journal.max_bytes' must be at least 1MiB", at: size.mark) }
            config.maxBytes = value
        }
        return config
    }

    private func decodeAdmin(_ node: YAMLNode) -> AdminConfig? {
        guard let fields = reader.fields(node, of: "'admin'", allowed: ["listen"] + Self.adminTokenKeys, required: ["listen"]),
            let listen = fields["listen"], let text = reader.string(listen, "'admin.listen'")
        else { return nil }
        guard let (host, port) = listenAddress(text, what: "admin.listen", example: "127.0.0.1:9901", at: listen.mark) else { return nil }
        guard case .some(let token) = decodeAdminToken(fields) else { return nil }
        return AdminConfig(host: host, port: port, token: token)
    }

    /// `HOST:PORT` (`[::1]:PORT` for IPv6; an empty host is 127.0.0.1).
    func listenAddress(_ text: String, what: String, example: String, at mark: SourceMark?) -> (String, Int)? {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (1...65535).contains(port) else {
            reader.error("'\(what)' must be HOST:PORT such as \(example) (port 1 to 65535), found '\(text)'", at: mark)
            return nil
        }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return (host.isEmpty ? "127.0.0.1" : host, port)
    }
}
