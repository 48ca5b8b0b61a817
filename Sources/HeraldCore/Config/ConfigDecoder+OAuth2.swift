extension ConfigDecoder {
    /// `oauth2: { token_url, client_id, client_secret | client_secret_file, scope, audience }`.
    func decodeOAuth2(_ node: YAMLNode) -> OAuth2Config? {
        guard let fields = reader.fields(node, of: "'oauth2'", allowed: ["token_url", "client_id", "client_secret", "client_secret_file", "scope", "audience"],
                                         required: ["token_url", "client_id"])
        else { return nil }
        var tokenURL: String?
        if let urlNode = fields["token_url"], let text = reader.string(urlNode, "'oauth2.token_url'", secret: true, inURL: true) {
            switch EndpointURL.parse(text) {
            case .success(let url) where url.scheme == "https" || url.isLoopback:
                tokenURL = text
            case .success:
                reader.error("'oauth2.token_url' must be https:// (it receives the client secret), or http:// to a loopback host", at: urlNode.mark)
            case .failure(let problem):
                reader.error("'oauth2.token_url': \(problem.message)", at: urlNode.mark)
            }
        }
        let clientID = fields["client_id"].flatMap { reader.string($0, "'oauth2.client_id'") }
        var secret: String?
        if let secretNode = fields["client_secret"] { secret = reader.string(secretNode, "'oauth2.client_secret'", secret: true) }
        if let fileNode = fields["client_secret_file"], let path = reader.string(fileNode, "'oauth2.client_secret_file'") {
            if secret != nil { reader.error("set 'client_secret' or 'client_secret_file', not both", at: fileNode.mark) }
            switch SecretFile.read(reader.resolvedPath(path)) {
            case .success(let value): secret = value
            case .failure(let error): reader.error("cannot read client_secret_file '\(path)': \(error.reason)", at: fileNode.mark)
            }
        }
        if fields["client_secret"] == nil, fields["client_secret_file"] == nil {
            reader.error("'oauth2' needs 'client_secret' or 'client_secret_file'", at: fields.mark)
        }
        if let secret { reader.secrets.insert(secret) }
        let scope = fields["scope"].flatMap { reader.string($0, "'oauth2.scope'") }
        let audience = fields["audience"].flatMap { reader.string($0, "'oauth2.audience'") }
        guard let tokenURL, let clientID, let secret, !secret.isEmpty else { return nil }
        return OAuth2Config(tokenURL: tokenURL, clientID: clientID, clientSecret: secret, scope: scope, audience: audience)
    }
}
