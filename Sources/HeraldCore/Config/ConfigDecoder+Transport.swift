import HeraldHTTP
import Foundation

/// Endpoint keys about credentials and the connection: `basic_auth`, `bearer_token`, `tls`, `proxy`.
extension ConfigDecoder {
    static let transportKeys = ["basic_auth", "bearer_token", "tls", "proxy"]
    /// Keys of which an endpoint has at most one; one set on the endpoint hides the others in `defaults`.
    static let authKeys: Set<String> = ["basic_auth", "bearer_token"]

    /// The `Authorization` header from `basic_auth` or `bearer_token`, added to the endpoint's
    /// headers (so it is applied at send time and never journaled). Every credential becomes a
    /// secret, whether it came from `${VAR}` or was written in the file.
    func decodeAuthorization(_ fields: Fields, headers: [HTTPHeader]) -> HTTPHeader? {
        let basicNode = fields["basic_auth"], bearerNode = fields["bearer_token"]
        if let basicNode, bearerNode != nil {
            reader.error("set either 'basic_auth' or 'bearer_token', not both", at: basicNode.mark)
            return nil
        }
        guard let node = basicNode ?? bearerNode else { return nil }
        if headers.contains(where: { $0.name.lowercased() == "authorization" }) {
            reader.error("'\(basicNode != nil ? "basic_auth" : "bearer_token")' and headers.Authorization both set the Authorization header; keep one", at: node.mark)
            return nil
        }
        let value: String
        if let basicNode {
            guard let auth = reader.fields(basicNode, of: "'basic_auth'", allowed: ["username", "password"], required: ["username", "password"]),
                let username = auth["username"].flatMap({ reader.string($0, "'basic_auth.username'") }),
                let passwordNode = auth["password"], let password = reader.string(passwordNode, "'basic_auth.password'", secret: true)
            else { return nil }
            if username.contains(":") {
                reader.error("'basic_auth.username' cannot contain ':' (RFC 7617)", at: auth["username"]?.mark)
                return nil
            }
            if password.isEmpty { reader.error("'basic_auth.password' is empty", at: passwordNode.mark) }
            reader.secrets.insert(password)
            let credentials = SecretForms.basicCredentials(username: username, password: password)
            reader.secrets.insert(credentials)
            value = "Basic " + credentials
        } else {
            guard let token = reader.string(node, "'bearer_token'", secret: true) else { return nil }
            guard !token.isEmpty, !token.contains(where: { $0.isWhitespace }) else {
                reader.error("'bearer_token' must be a non-empty token without spaces or line breaks", at: node.mark)
                return nil
            }
            reader.secrets.insert(token)
            value = "Bearer " + token
        }
        reader.secrets.insert(value)
        return HTTPHeader("Authorization", value)
    }

    /// `tls: { ca_file, client_cert, client_key, insecure_skip_verify }`; paths resolve against the
    /// config's folder and must be readable PEM files now, not at the first delivery.
    func decodeTLS(_ node: YAMLNode) -> TLSOptions? {
        guard let fields = reader.fields(node, of: "'tls'", allowed: ["ca_file", "client_cert", "client_key", "insecure_skip_verify"]) else { return nil }
        var tls = TLSOptions()
        tls.caFile = fields["ca_file"].flatMap { pemFile($0, "tls.ca_file") }
        tls.clientCert = fields["client_cert"].flatMap { pemFile($0, "tls.client_cert") }
        tls.clientKey = fields["client_key"].flatMap { pemFile($0, "tls.client_key") }
        tls.insecureSkipVerify = fields["insecure_skip_verify"].flatMap { reader.bool($0, "'tls.insecure_skip_verify'") } ?? false
        if let keyNode = fields["client_key"], fields["client_cert"] == nil {
            reader.error("'tls.client_key' needs 'tls.client_cert'", at: keyNode.mark)
        }
        return tls
    }

    private func pemFile(_ node: YAMLNode, _ what: String) -> String? {
        guard let path = reader.string(node, "'\(what)'") else { return nil }
        let resolved = reader.resolvedPath(path)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: resolved, isDirectory: &isDirectory), !isDirectory.boolValue else {
            reader.error("\(what) '\(resolved)' does not exist", at: node.mark)
            return nil
        }
        guard let data = FileManager.default.contents(atPath: resolved) else {
            reader.error("\(what) '\(resolved)' cannot be read", at: node.mark)
            return nil
        }
        guard data.range(of: Data("-----BEGIN ".utf8)) != nil else {
            reader.error("\(what) '\(resolved)' is not a PEM file (no -----BEGIN line)", at: node.mark)
            return nil
        }
        return resolved
    }

    /// `proxy: http://[user:password@]host:port` (also https, socks4, socks4a, socks5, socks5h).
    /// Its password is a secret; messages never quote the URL, which may hold it.
    func decodeProxy(_ node: YAMLNode) -> String? {
        guard let text = reader.string(node, "'proxy'", secret: true, inURL: true) else { return nil }
        let schemes = ["http", "https", "socks4", "socks4a", "socks5", "socks5h"]
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(), schemes.contains(scheme),
            let host = components.host, !host.isEmpty, components.path.isEmpty || components.path == "/",
            components.query == nil, components.fragment == nil, !text.contains(where: { $0.isWhitespace })
        else {
            reader.error("'proxy' must be a URL like http://proxy.internal:3128 (schemes: \(schemes.joined(separator: ", ")); no path)", at: node.mark)
            return nil
        }
        if let password = components.password, !password.isEmpty {
            reader.secrets.insert(password)
            if let percentEncoded = components.percentEncodedPassword { reader.secrets.insert(percentEncoded) }
        }
        return text
    }
}
