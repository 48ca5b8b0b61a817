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
        let source = top["source"].flatMap(decodeSource)
        let journal = decodeJournal(top["journal"])
        let endpoints = decodeEndpoints(top["endpoints"], defaults: top["defaults"])
        let routes = decodeRoutes(top["routes"], endpointNames: Self.declaredNames(top["endpoints"]))
        let admin = top["admin"].flatMap(decodeAdmin)
        let deliveryLog = decodeDeliveryLog(top["delivery_log"])
        let deadLetters = decodeDeadLetters(top["dead_letters"], journal: journal)

        guard reader.diagnostics.isEmpty, let source, let endpoints, let routes else { return nil }
        var config = HeraldConfig(
            path: reader.file, version: version, stateDir: reader.resolvedPath(stateDir), watch: watch,
            shutdownGrace: grace, source: source, journal: journal, endpoints: endpoints, routes: routes,
            admin: admin, deliveryLog: deliveryLog, secrets: reader.secrets
        )
        config.deadLetters = deadLetters
        return config
    }

    /// Endpoint names as written, including endpoints that failed to decode, so that one bad
    /// endpoint does not also make every route that names it an error.
    static func declaredNames(_ node: YAMLNode?) -> [String] {
        guard let node, case .mapping(let pairs) = node.kind else { return [] }
        return pairs.compactMap { $0.key.scalar }
    }

    private func decodeSource(_ node: YAMLNode) -> SourceConfig? {
        let keys = ["file", "stdin", "start_at", "type_field", "id_field", "max_line_bytes", "drain_timeout"]
        guard let fields = reader.fields(node, of: "'source'", allowed: keys) else { return nil }
        var input: SourceConfig.Input?
        let file = fields["file"].flatMap { reader.string($0, "'source.file'") }
        let stdin = fields["stdin"].flatMap { reader.bool($0, "'source.stdin'") } ?? false
        switch (file, stdin) {
        case (let path?, false): input = path.isEmpty ? nil : .file(reader.resolvedPath(path))
        case (nil, true): input = .stdin
        case (_?, true): reader.error("'source' takes either 'file' or 'stdin: true', not both", at: fields.mark)
        case (nil, false):
            if fields["file"] == nil { reader.error("'source' needs 'file: PATH' or 'stdin: true'", at: fields.mark) }
        }
        var startAt = SourceConfig.StartAt.beginning
        if let node = fields["start_at"], let text = reader.string(node, "'start_at'") {
            if let value = SourceConfig.StartAt(rawValue: text) {
                startAt = value
            } else {
                reader.error("'start_at' must be 'beginning' or 'end', found '\(text)'", at: node.mark,
                             suggestion: Suggestion.closest(to: text, in: ["beginning", "end"]).map { "did you mean '\($0)'?" })
            }
        }
        let typeField = fields["type_field"].map { reader.fieldPath($0, "'type_field'") } ?? FieldPath("type")
        let idField = fields["id_field"].map { reader.fieldPath($0, "'id_field'") } ?? FieldPath("id")
        let maxLine = fields["max_line_bytes"].map { reader.byteSize($0, "'max_line_bytes'") } ?? Int64(1 << 20)
        let drain = fields["drain_timeout"].map { reader.duration($0, "'drain_timeout'") } ?? .seconds(30)
        guard let input, let typeField, let idField, let maxLine, let drain else { return nil }
        if maxLine < 64 || maxLine > 256 << 20 {
            reader.error("'max_line_bytes' must be between 64 bytes and 256MiB", at: fields["max_line_bytes"]?.mark)
        }
        return SourceConfig(input: input, startAt: startAt, typeField: typeField, idField: idField, maxLineBytes: Int(maxLine), drainTimeout: drain)
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
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (1...65535).contains(port) else {
            reader.error("'admin.listen' must be HOST:PORT such as 127.0.0.1:9901 (port 1 to 65535), found '\(text)'", at: listen.mark)
            return nil
        }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard case .some(let token) = decodeAdminToken(fields) else { return nil }
        return AdminConfig(host: host.isEmpty ? "127.0.0.1" : host, port: port, token: token)
    }
}
