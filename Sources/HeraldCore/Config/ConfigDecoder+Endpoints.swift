import HeraldHTTP
import Foundation

extension ConfigDecoder {
    static let endpointKeys = [
        "url", "enabled", "description", "headers", "format", "signing", "timeout", "concurrency", "rate_limit",
        "retry", "ordering", "allow_insecure", "breaker", "xml", "cloudevents", "max_body_bytes", "method", "trace_field", "allowed_hosts", "allow_private", "oauth2", "batch",
        "disable_after",
    ] + transportKeys + outcomeKeys
    /// Mapping-valued keys whose entries merge with `defaults` one level deep.
    static let mergedKeys: Set<String> = ["headers", "retry", "breaker", "tls", "xml", "cloudevents"]

    func decodeEndpoints(_ node: YAMLNode?, defaults: YAMLNode?) -> [EndpointConfig]? {
        var defaultPairs: [YAMLPair] = []
        if let defaults {
            let allowed = Self.endpointKeys.filter { $0 != "url" }
            if reader.fields(defaults, of: "'defaults'", allowed: allowed) != nil, case .mapping(let pairs) = defaults.kind {
                defaultPairs = pairs
            }
        }
        guard let node else { return nil }
        guard case .mapping(let pairs) = node.kind else {
            reader.error("'endpoints' must be a mapping of names to endpoints, found \(node.kindName)", at: node.mark)
            return nil
        }
        var endpoints: [EndpointConfig] = []
        var seen: [String: SourceMark] = [:]
        for pair in pairs {
            guard let name = pair.key.scalar, Self.isValidName(name) else {
                reader.error("endpoint names are letters, digits, '-', '_' and '.'", at: pair.key.mark)
                continue
            }
            if let first = seen[name] {
                reader.error("duplicate endpoint '\(name)' (first defined at \(first))", at: pair.key.mark)
                continue
            }
            seen[name] = pair.key.mark
            let merged = Self.merge(defaults: defaultPairs, into: pair.value)
            if let endpoint = decodeEndpoint(name: name, merged) { endpoints.append(endpoint) }
        }
        return endpoints
    }

    static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." }
    }

    /// The endpoint's own keys over `defaults`, merging `headers` and `retry` key by key.
    private static func merge(defaults: [YAMLPair], into node: YAMLNode) -> YAMLNode {
        guard !defaults.isEmpty, case .mapping(var own) = node.kind else { return node }
        let ownAuth = own.contains { authKeys.contains($0.key.scalar ?? "") }
        for inherited in defaults {
            guard let key = inherited.key.scalar, !(ownAuth && authKeys.contains(key)) else { continue }
            if let index = own.firstIndex(where: { $0.key.scalar == key }) {
                if mergedKeys.contains(key), case .mapping(let base) = inherited.value.kind, case .mapping(let over) = own[index].value.kind {
                    let overKeys = Set(over.compactMap { $0.key.scalar })
                    let combined = base.filter { !overKeys.contains($0.key.scalar ?? "") } + over
                    own[index].value = YAMLNode(.mapping(combined), at: own[index].value.mark)
                }
            } else {
                own.append(inherited)
            }
        }
        return YAMLNode(.mapping(own), at: node.mark)
    }

    private func decodeEndpoint(name: String, _ node: YAMLNode) -> EndpointConfig? {
        let what = "endpoint '\(name)'"
        guard let fields = reader.fields(node, of: what, allowed: Self.endpointKeys, required: ["url"]) else {
            if node.isNull { reader.error("\(what) needs at least a 'url'", at: node.mark) }
            return nil
        }
        let allowInsecure = fields["allow_insecure"].flatMap { reader.bool($0, "'allow_insecure'") } ?? false
        var url: EndpointURL?
        var urlTemplate: URLTemplate?
        if let urlNode = fields["url"], let text = reader.string(urlNode, "'url'", secret: true, inURL: true) {
            // A templated url is checked with each placeholder as `x`: scheme, host and port as for any url.
            var checked = text
            if text.contains("{{") {
                switch URLTemplate.parse(text) {
                case .success(let template):
                    if template.text.hasFields {
                        urlTemplate = template
                        let probe = Dictionary(template.text.fields.map { ($0, "x") }, uniquingKeysWith: { first, _ in first })
                        if case .success(let rendered) = template.render(probe) { checked = rendered }
                    }
                case .failure(let problem):
                    reader.error("\(what): 'url': \(problem.message)", at: urlNode.mark)
                }
            }
            switch EndpointURL.parse(checked) {
            case .success(var parsed):
                parsed.text = text
                if parsed.scheme == "http", !parsed.isLoopback, !allowInsecure {
                    reader.error("\(what) uses http:// to a non-loopback host; use https:// (webhooks carry business data) or set allow_insecure: true", at: urlNode.mark)
                }
                url = parsed
            case .failure(let problem):
                reader.error("\(what): \(problem.message)", at: urlNode.mark)
            }
        }
        var format = PayloadFormat.json
        if let node = fields["format"], let text = reader.string(node, "'format'") {
            if let value = PayloadFormat(rawValue: text) {
                format = value
            } else {
                reader.error("unknown format '\(text)' (one of: \(PayloadFormat.allCases.map(\.rawValue).joined(separator: ", ")))", at: node.mark,
                             suggestion: Suggestion.closest(to: text, in: PayloadFormat.allCases.map(\.rawValue)).map { "did you mean '\($0)'?" })
            }
        }
        var headers = fields["headers"].map(decodeHeaders) ?? []
        if let authorization = decodeAuthorization(fields, headers: headers) { headers.append(authorization) }
        let tls = fields["tls"].flatMap(decodeTLS)
        let proxy = fields["proxy"].flatMap(decodeProxy)
        let signing = fields["signing"].flatMap(decodeSigning)
        var retry = fields["retry"].flatMap(decodeRetry) ?? .standard
        retry.outcomes = decodeOutcomes(fields)
        let ordering: OrderingConfig? = fields["ordering"].flatMap { node in
            guard let ordering = reader.fields(node, of: "'ordering'", allowed: ["key"], required: ["key"]),
                let key = ordering["key"].flatMap({ reader.fieldPath($0, "'ordering.key'") })
            else { return nil }
            return OrderingConfig(key: key)
        }
        let timeout = fields["timeout"].flatMap { reader.duration($0, "'timeout'") } ?? .seconds(10)
        let (concurrency, adaptive) = fields["concurrency"].map(decodeConcurrency) ?? (8, false)
        let rate = fields["rate_limit"].flatMap { reader.rate($0, "'rate_limit'") }
        let breaker = fields["breaker"].flatMap(decodeBreaker) ?? .standard
        let enabled = fields["enabled"].flatMap { reader.bool($0, "'enabled'") } ?? true
        if let node = fields["timeout"], timeout == .zero { reader.error("'timeout' must be more than 0", at: node.mark) }
        let formatOptions = decodeFormatOptions(fields)
        if let signing, signing.scheme == .hmacSHA256, let clash = headers.first(where: { $0.name.lowercased() == signing.header.lowercased() }) {
            reader.error("header '\(clash.name)' is set by signing; remove it from 'headers'", at: fields.keyMarks["headers"])
        }
        guard let url else { return nil }
        var endpoint = EndpointConfig(
            name: name, url: url, enabled: enabled, headers: headers, format: format, signing: signing, timeout: timeout,
            concurrency: concurrency, rateLimit: rate, breaker: breaker, retry: retry, ordering: ordering, allowInsecure: allowInsecure
        )
        endpoint.formatOptions = formatOptions
        endpoint.adaptiveConcurrency = adaptive
        if let method = fields["method"].flatMap(decodeMethod) { endpoint.method = method }
        endpoint.urlTemplate = urlTemplate
        endpoint.headerTemplates = headers.compactMap { header in
            guard header.value.contains("{{"), case .success(let text) = PlaceholderText.parse(header.value), text.hasFields else { return nil }
            return HeaderTemplate(name: header.name, value: text)
        }
        endpoint.headers.removeAll { header in endpoint.headerTemplates.contains { $0.name == header.name } }
        endpoint.allowedHosts = fields["allowed_hosts"].map(decodeAllowedHosts) ?? []
        endpoint.allowPrivate = fields["allow_private"].flatMap { reader.bool($0, "'allow_private'") } ?? false
        endpoint.traceField = fields["trace_field"].flatMap { reader.fieldPath($0, "'trace_field'") }
        if let node = fields["disable_after"], let after = reader.duration(node, "'disable_after'") {
            if after < .seconds(1) { reader.error("'disable_after' must be at least 1s", at: node.mark) }
            endpoint.disableAfter = after
        }
        if let node = fields["batch"] {
            endpoint.batch = decodeBatch(node)
            if endpoint.batch != nil {
                if endpoint.format != .json { reader.error("'batch' sends JSON arrays or NDJSON: it needs format: json", at: node.mark) }
                if endpoint.isTemplated { reader.error("'batch' puts deliveries of several events in one request: its url and headers cannot take values from an event", at: node.mark) }
                if endpoint.traceField != nil { reader.error("'batch' and 'trace_field' do not mix: one request cannot carry each member's trace context", at: node.mark) }
            }
        }
        if let node = fields["oauth2"] {
            endpoint.oauth2 = decodeOAuth2(node)
            if endpoint.headers.contains(where: { $0.name.lowercased() == "authorization" }) {
                reader.error("'oauth2' sets the Authorization header; remove 'bearer_token', 'basic_auth' or headers.Authorization", at: node.mark)
            }
        }
        if urlTemplate?.templatesHost == true, endpoint.allowedHosts.isEmpty {
            reader.error("\(what) takes its url's host from the event: list the hosts it may send to in 'allowed_hosts' (globs such as '*.hooks.example.com')",
                         at: fields["url"]?.mark)
        }
        if let maxBody = decodeMaxBodyBytes(fields["max_body_bytes"]) { endpoint.maxBodyBytes = maxBody }
        endpoint.tls = tls ?? TLSOptions()
        endpoint.proxy = proxy
        return endpoint
    }

    /// `batch: { max_events, max_bytes, max_wait, format }`.
    private func decodeBatch(_ node: YAMLNode) -> BatchConfig? {
        guard let fields = reader.fields(node, of: "'batch'", allowed: ["max_events", "max_bytes", "max_wait", "format"]) else { return nil }
        let maxEvents = fields["max_events"].flatMap { reader.int($0, "'batch.max_events'", in: BatchConfig.eventsRange) } ?? 100
        var maxBytes = 1 << 20
        if let bytesNode = fields["max_bytes"], let size = reader.byteSize(bytesNode, "'batch.max_bytes'") {
            if size < 1 << 10 || size > 256 << 20 {
                reader.error("'batch.max_bytes' must be between 1KiB and 256MiB, found \(bytesNode.scalar ?? "?")", at: bytesNode.mark)
            } else {
                maxBytes = Int(size)
            }
        }
        let maxWait = fields["max_wait"].flatMap { reader.duration($0, "'batch.max_wait'") } ?? .seconds(1)
        var format = BatchConfig.Format.jsonArray
        if let formatNode = fields["format"], let text = reader.string(formatNode, "'batch.format'") {
            if let value = BatchConfig.Format(rawValue: text) {
                format = value
            } else {
                let names = BatchConfig.Format.allCases.map(\.rawValue)
                reader.error("'batch.format' is one of \(names.joined(separator: ", ")), found '\(text)'", at: formatNode.mark,
                             suggestion: Suggestion.closest(to: text, in: names).map { "did you mean '\($0)'?" })
            }
        }
        return BatchConfig(maxEvents: maxEvents, maxBytes: maxBytes, maxWait: maxWait, format: format)
    }

    /// `concurrency: 8`, or `concurrency: { max: 64, adaptive: true }`.
    private func decodeConcurrency(_ node: YAMLNode) -> (Int, Bool) {
        guard case .mapping = node.kind else { return (reader.int(node, "'concurrency'", in: 1...1024) ?? 8, false) }
        guard let fields = reader.fields(node, of: "'concurrency'", allowed: ["max", "adaptive"]) else { return (8, false) }
        let adaptive = fields["adaptive"].flatMap { reader.bool($0, "'concurrency.adaptive'") } ?? false
        let maximum = fields["max"].flatMap { reader.int($0, "'concurrency.max'", in: 1...1024) } ?? (adaptive ? 64 : 8)
        return (maximum, adaptive)
    }

    private func decodeAllowedHosts(_ node: YAMLNode) -> [EventPattern] {
        (reader.strings(node, "'allowed_hosts'") ?? []).compactMap { text, mark in
            let glob = text.lowercased()
            guard !glob.isEmpty, glob.allSatisfy({ $0.isLetter || $0.isNumber || "-.*?".contains($0) }), let pattern = EventPattern(glob) else {
                reader.error("each entry of 'allowed_hosts' is a host name or a glob such as '*.example.com', found '\(text)'", at: mark)
                return nil
            }
            return pattern
        }
    }

    private func decodeMethod(_ node: YAMLNode) -> DeliveryMethod? {
        guard let text = reader.string(node, "'method'") else { return nil }
        if let method = DeliveryMethod(rawValue: text.uppercased()) { return method }
        let names = DeliveryMethod.allCases.map(\.rawValue)
        reader.error("'method' is one of \(names.joined(separator: ", ")), found '\(text)'", at: node.mark,
                     suggestion: Suggestion.closest(to: text.uppercased(), in: names).map { "did you mean '\($0)'?" })
        return nil
    }

    private func decodeMaxBodyBytes(_ node: YAMLNode?) -> Int? {
        guard let node, let size = reader.byteSize(node, "'max_body_bytes'") else { return nil }
        let range = EndpointConfig.maxBodyBytesRange
        guard size >= Int64(range.lowerBound), size <= Int64(range.upperBound) else {
            reader.error("'max_body_bytes' must be between 1KiB and 256MiB, found \(node.scalar ?? "?")", at: node.mark)
            return nil
        }
        return Int(size)
    }

    private func decodeBreaker(_ node: YAMLNode) -> BreakerConfig? {
        guard let fields = reader.fields(node, of: "'breaker'", allowed: ["failures", "cooldown"]) else { return nil }
        let failures = fields["failures"].flatMap { reader.int($0, "'breaker.failures'", in: 0...1_000_000) } ?? BreakerConfig.standard.failures
        let cooldown = fields["cooldown"].flatMap { reader.duration($0, "'breaker.cooldown'") } ?? BreakerConfig.standard.cooldown
        if let node = fields["cooldown"], cooldown == .zero { reader.error("'breaker.cooldown' must be more than 0", at: node.mark) }
        return BreakerConfig(failures: failures, cooldown: cooldown)
    }

    private func decodeHeaders(_ node: YAMLNode) -> [HTTPHeader] {
        guard case .mapping(let pairs) = node.kind else {
            if !node.isNull { reader.error("'headers' must be a mapping of header names to values, found \(node.kindName)", at: node.mark) }
            return []
        }
        var headers: [HTTPHeader] = []
        for pair in pairs {
            guard let name = pair.key.scalar, HTTPHeader.isValidName(name) else {
                reader.error("invalid header name '\(pair.key.scalar ?? "")'", at: pair.key.mark)
                continue
            }
            if HTTPHeader.reserved.contains(name.lowercased()) {
                reader.error("header '\(name)' is set by Herald and cannot be configured", at: pair.key.mark)
                continue
            }
            guard let value = reader.string(pair.value, "header '\(name)'", secret: true) else { continue }
            if value.contains(where: { $0 == "\r" || $0 == "\n" }) {
                reader.error("header '\(name)' contains a line break", at: pair.value.mark)
                continue
            }
            if value.contains("{{"), case .failure(let problem) = PlaceholderText.parse(value) {
                reader.error("header '\(name)': \(problem.message)", at: pair.value.mark)
                continue
            }
            headers.append(HTTPHeader(name, value))
        }
        return headers
    }

    private func decodeSigning(_ node: YAMLNode) -> SigningConfig? {
        guard let fields = reader.fields(node, of: "'signing'", allowed: ["scheme", "secret", "secret_file", "header", "prefix"], required: ["scheme"]),
            let schemeNode = fields["scheme"], let schemeText = reader.string(schemeNode, "'signing.scheme'")
        else { return nil }
        guard let scheme = SigningConfig.Scheme(rawValue: schemeText) else {
            let names = SigningConfig.Scheme.allCases.map(\.rawValue)
            reader.error("unknown signing scheme '\(schemeText)' (one of: \(names.joined(separator: ", ")))", at: schemeNode.mark,
                         suggestion: Suggestion.closest(to: schemeText, in: names).map { "did you mean '\($0)'?" })
            return nil
        }
        var secrets: [(String, SourceMark)] = []
        if let secret = fields["secret"] { secrets = reader.strings(secret, "'signing.secret'", secret: true) ?? [] }
        if let fileNode = fields["secret_file"], let path = reader.string(fileNode, "'signing.secret_file'") {
            switch SecretFile.read(reader.resolvedPath(path)) {
            case .success(let value):
                reader.secrets.insert(value)
                secrets.append((value, fileNode.mark))
            case .failure(let error):
                reader.error("cannot read secret_file '\(path)': \(error.reason)", at: fileNode.mark)
                return nil
            }
        }
        if secrets.isEmpty, fields["secret"] == nil, fields["secret_file"] == nil {
            reader.error("'signing' needs 'secret' (or a list of secrets) or 'secret_file'", at: fields.mark)
        }
        for (secret, mark) in secrets where secret.isEmpty {
            reader.error("signing secret is empty", at: mark)
        }
        // Signing secrets are secrets even when written into the file, and so is their key
        // material without the scheme's marker.
        for (secret, _) in secrets where !secret.isEmpty {
            reader.secrets.insert(secret)
            if scheme == .standardWebhooks, let key = SecretForms.signingKey(secret) { reader.secrets.insert(key) }
        }
        if scheme == .standardWebhooks {
            for (secret, mark) in secrets where !secret.isEmpty && SigningKey.parse(secret, scheme: scheme) == nil {
                let message = secret.hasPrefix("whsk_")
                    ? "a standard-webhooks 'whsk_' secret must be followed by the base64 of a 32-byte ed25519 private key"
                    : "a standard-webhooks secret must be 'whsec_' followed by base64 (24 to 64 bytes), or an ed25519 'whsk_' secret"
                reader.error(message, at: mark)
            }
        }
        let header = fields["header"].flatMap { reader.string($0, "'signing.header'") } ?? (scheme == .hmacSHA256 ? "X-Hub-Signature-256" : "webhook-signature")
        let prefix = fields["prefix"].flatMap { reader.string($0, "'signing.prefix'") } ?? (scheme == .hmacSHA256 ? "sha256=" : "")
        if scheme == .hmacSHA256, let node = fields["header"] {
            if !HTTPHeader.isValidName(header) {
                reader.error("'signing.header' must be a valid header name", at: node.mark)
            } else if HTTPHeader.reserved.contains(header.lowercased()) || header.lowercased() == "authorization" {
                reader.error("'signing.header' cannot be '\(header)', a header Herald sets itself", at: node.mark)
            }
        }
        if let node = fields["prefix"], prefix.contains(where: { $0 == "\r" || $0 == "\n" }) {
            reader.error("'signing.prefix' contains a line break", at: node.mark)
        }
        if scheme == .standardWebhooks, let node = fields["header"] ?? fields["prefix"] {
            reader.error("'header' and 'prefix' apply to hmac-sha256 only; standard-webhooks always uses webhook-signature", at: node.mark)
        }
        return SigningConfig(scheme: scheme, secrets: secrets.map(\.0), header: header, prefix: prefix)
    }

    private func decodeRetry(_ node: YAMLNode) -> RetryConfig? {
        guard let fields = reader.fields(node, of: "'retry'", allowed: ["schedule", "max_age"]) else { return nil }
        var retry = RetryConfig.standard
        if let scheduleNode = fields["schedule"] {
            guard case .sequence(let items) = scheduleNode.kind else {
                reader.error("'retry.schedule' must be a list of durations such as [5s, 5m, 30m]", at: scheduleNode.mark)
                return nil
            }
            retry.schedule = items.compactMap { reader.duration($0, "each retry delay") }
        }
        if let maxAge = fields["max_age"].flatMap({ reader.duration($0, "'retry.max_age'") }) { retry.maxAge = maxAge }
        return retry
    }
}

extension HTTPHeader {
    /// Headers Herald owns: configuring them would break delivery or signatures.
    static let reserved: Set<String> = [
        "content-length", "host", "transfer-encoding", "webhook-id", "webhook-timestamp", "webhook-signature", "connection",
    ]

    /// RFC 9110 token characters.
    static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }
}
