import HeraldSource

extension ConfigDecoder {
    static let sourceKeys = ["name", "file", "stdin", "http", "herald", "kafka", "start_at", "type_field", "id_field", "max_line_bytes", "drain_timeout",
                             "max_open_files", "release_after"]

    /// `source:` as one mapping (named `default` unless it says otherwise) or as a list of named
    /// sources read at once. Stdin stays alone: its end ends the run.
    func decodeSources(_ node: YAMLNode) -> (list: [SourceConfig], listed: Bool)? {
        guard case .sequence(let items) = node.kind else {
            return decodeSource(node, named: false).map { ([$0], false) }
        }
        guard !items.isEmpty else {
            reader.error("'source' as a list needs at least one source", at: node.mark)
            return nil
        }
        let decoded = items.map { decodeSource($0, named: true) }
        var names: [String: SourceMark] = [:]
        var patterns: [String: String] = [:]
        var listens: [String: String] = [:]
        for (item, source) in zip(items, decoded) {
            guard let source else { continue }
            if let first = names[source.name] {
                reader.error("source name '\(source.name)' is used twice (first at line \(first.line))", at: item.mark)
            }
            names[source.name] = names[source.name] ?? item.mark
            if case .http(let http) = source.input {
                let address = "\(http.host):\(http.port)"
                if let other = listens[address] {
                    reader.error("sources '\(other)' and '\(source.name)' both listen on \(address)", at: item.mark)
                }
                listens[address] = listens[address] ?? source.name
            }
            if let pattern = source.filePattern {
                if let other = patterns[pattern] {
                    reader.error("sources '\(other)' and '\(source.name)' read the same files ('\(pattern)')", at: item.mark)
                }
                patterns[pattern] = patterns[pattern] ?? source.name
            }
        }
        let owned = decoded.indices.filter { decoded[$0]?.input == .herald }
        if owned.count > 1 { reader.error("only one source may be 'herald: true'", at: items[owned[1]].mark) }
        // Herald's own events may sit beside stdin: they end with it.
        if decoded.filter({ $0?.input != .herald }).count > 1, let index = decoded.firstIndex(where: { $0?.input == .stdin }) {
            reader.error("'stdin' must be the only source: its end of input ends the run", at: items[index].mark)
        }
        let list = decoded.compactMap { $0 }
        guard list.count == items.count else { return nil }
        return (list, true)
    }

    private func decodeSource(_ node: YAMLNode, named: Bool) -> SourceConfig? {
        let what = named ? "each source" : "'source'"
        guard let fields = reader.fields(node, of: what, allowed: Self.sourceKeys, required: named ? ["name"] : []) else { return nil }
        var name = SourceConfig.defaultName
        if let node = fields["name"], let text = reader.string(node, "'source.name'") {
            if text.isEmpty || text.utf8.count > 64 || !text.utf8.allSatisfy(Self.isNameByte) {
                reader.error("a source name must be 1 to 64 letters, digits, '_', '-' or '.', found '\(text)'", at: node.mark)
            }
            name = text
        }
        let input = decodeInput(fields, what: what)
        let startAt = fields["start_at"].flatMap { reader.choice($0, "'start_at'", as: SourceConfig.StartAt.self) } ?? .beginning
        let typeField = fields["type_field"].map { reader.fieldPath($0, "'type_field'") } ?? FieldPath("type")
        let idField = fields["id_field"].map { reader.fieldPath($0, "'id_field'") } ?? FieldPath("id")
        for (key, path) in [("type_field", typeField), ("id_field", idField)] where path?.metadata != nil {
            reader.error("'\(key)' must name a field of the event, not metadata", at: fields[key]?.mark)
        }
        let maxLine = fields["max_line_bytes"].map { reader.byteSize($0, "'max_line_bytes'") } ?? Int64(1 << 20)
        let drain = fields["drain_timeout"].map { reader.duration($0, "'drain_timeout'") } ?? .seconds(30)
        let maxOpen = fields["max_open_files"].map { reader.int($0, "'max_open_files'", in: 1...4096) } ?? 64
        let release = fields["release_after"].map { reader.duration($0, "'release_after'") } ?? .seconds(300)
        guard let input, let typeField, let idField, let maxLine, let drain, let maxOpen, let release else { return nil }
        if maxLine < 64 || maxLine > 256 << 20 {
            reader.error("'max_line_bytes' must be between 64 bytes and 256MiB", at: fields["max_line_bytes"]?.mark)
        }
        if release < .seconds(1) { reader.error("'release_after' must be at least 1s", at: fields["release_after"]?.mark) }
        if case .file = input {} else {
            for key in ["max_open_files", "release_after"] where fields[key] != nil {
                reader.error("'\(key)' applies to file sources, not \(input.kind)", at: fields.keyMarks[key])
            }
        }
        var source = SourceConfig(name: name, input: input, startAt: startAt, typeField: typeField, idField: idField,
                                  maxLineBytes: Int(maxLine), drainTimeout: drain)
        source.maxOpenFiles = maxOpen
        source.releaseAfter = release
        return source
    }

    /// Exactly one of `file`, `stdin: true`, `http`, `herald: true` and `kafka`.
    private func decodeInput(_ fields: Fields, what: String) -> SourceConfig.Input? {
        let stdin = fields["stdin"].flatMap { reader.bool($0, "'source.stdin'") } ?? false
        let own = fields["herald"].flatMap { reader.bool($0, "'source.herald'") } ?? false
        switch [fields["file"] != nil, stdin, fields["http"] != nil, own, fields["kafka"] != nil].filter({ $0 }).count {
        case 0:
            reader.error("\(what) needs 'file: PATH', 'stdin: true', 'http: { listen: HOST:PORT }', 'herald: true' or 'kafka: { brokers, topics, group }'",
                         at: fields.mark)
            return nil
        case 1:
            break
        default:
            reader.error("\(what) takes one of 'file', 'stdin: true', 'http', 'herald: true' and 'kafka', not several", at: fields.mark)
            return nil
        }
        if let node = fields["http"] { return decodeHTTPIngest(node).map(SourceConfig.Input.http) }
        if let node = fields["kafka"] { return decodeKafka(node).map(SourceConfig.Input.kafka) }
        if own { return .herald }
        if stdin { return .stdin }
        guard let path = fields["file"].flatMap({ reader.string($0, "'source.file'") }), !path.isEmpty else { return nil }
        let resolved = reader.resolvedPath(path)
        if FileGlob.hasWildcards(resolved), !FileGlob(resolved).isSupported {
            reader.error("'source.file' may have wildcards in the file name only, not in its directory: '\(path)'", at: fields["file"]?.mark)
        }
        return .file(resolved)
    }

    private func decodeHTTPIngest(_ node: YAMLNode) -> HTTPIngestConfig? {
        let keys = ["listen", "max_body", "max_concurrent_requests"] + Self.adminTokenKeys
        guard let fields = reader.fields(node, of: "'source.http'", allowed: keys, required: ["listen"]),
            let listen = fields["listen"], let text = reader.string(listen, "'source.http.listen'"),
            let (host, port) = listenAddress(text, what: "source.http.listen", example: "127.0.0.1:9902", at: listen.mark)
        else { return nil }
        guard case .some(let token) = decodeAdminToken(fields, what: "source.http") else { return nil }
        var config = HTTPIngestConfig(host: host, port: port, token: token)
        if let node = fields["max_body"], let size = reader.byteSize(node, "'source.http.max_body'") {
            if size < 1024 || size > 1 << 30 { reader.error("'source.http.max_body' must be between 1KiB and 1GiB", at: node.mark) }
            config.maxBody = Int(clamping: size)
        }
        if let node = fields["max_concurrent_requests"], let count = reader.int(node, "'source.http.max_concurrent_requests'", in: 1...4096) {
            config.maxConcurrentRequests = count
        }
        return config
    }

    /// A letter, digit, `_`, `-` or `.`: what source names and Kafka topic names are made of.
    static func isNameByte(_ byte: UInt8) -> Bool {
        (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) || byte == 0x5F || byte == 0x2D || byte == 0x2E
    }
}
