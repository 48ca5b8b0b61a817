import HeraldHTTP

/// The event's values for an endpoint's templated `url` and headers, as a stored payload keeps
/// them: one entry per field, under a name no real header can have (`:field:` + path), taken
/// out again before the request is built.
struct TemplateValues {
    static let prefix = ":field:"

    var byField: [FieldPath: String] = [:]
    /// The payload's real headers (CloudEvents', trace context).
    var others: [HTTPHeader] = []

    init(_ headers: [HTTPHeader]) {
        for header in headers {
            if header.name.hasPrefix(Self.prefix), let path = FieldPath(String(header.name.dropFirst(Self.prefix.count))) {
                byField[path] = header.value
            } else if !SourceStamp.isPseudo(header) {
                others.append(header)
            }
        }
    }

    /// The endpoint's URL for these values, checked against `allowed_hosts`.
    static func rendered(_ endpoint: EndpointConfig, _ values: [FieldPath: String]) throws(RequestRenderer.Failure) -> String {
        guard let template = endpoint.urlTemplate else { return endpoint.url.text }
        let url: String
        switch template.render(values) {
        case .success(let rendered): url = rendered
        case .failure(let refusal): throw RequestRenderer.Failure(message: "endpoint '\(endpoint.name)': \(refusal.message)", refused: true)
        }
        guard template.templatesHost else { return url }
        guard case .success(let parsed) = EndpointURL.parse(url) else {
            throw RequestRenderer.Failure(message: "endpoint '\(endpoint.name)': the rendered url \(URLTemplate.quoted(url)) is not valid", refused: true)
        }
        guard endpoint.allowedHosts.contains(where: { $0.matches(parsed.host) }) else {
            let globs = endpoint.allowedHosts.map(\.text).joined(separator: ", ")
            throw RequestRenderer.Failure(message: "endpoint '\(endpoint.name)': host '\(parsed.host)' is not in allowed_hosts (\(globs))", refused: true)
        }
        return url
    }

    /// A templated header's value; a value with a control character is refused (it would split the header).
    static func rendered(_ template: HeaderTemplate, _ values: [FieldPath: String], endpoint: String) throws(RequestRenderer.Failure) -> String {
        var text = ""
        for piece in template.value.pieces {
            switch piece {
            case .literal(let literal): text += literal
            case .field(let path):
                guard let value = values[path] else {
                    throw RequestRenderer.Failure(message: "endpoint '\(endpoint)': header '\(template.name)' needs {{\(path)}}, which this delivery did not keep")
                }
                guard !value.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
                    throw RequestRenderer.Failure(message: "endpoint '\(endpoint)': {{\(path)}} for header '\(template.name)' holds a control character: \(URLTemplate.quoted(value))", refused: true)
                }
                text += value
            }
        }
        return text
    }
}
