import Foundation

extension ConfigDecoder {
    static let adminTokenKeys = ["token", "token_file"]

    /// `admin.token` or `admin.token_file` (or another listener's, named by `what`): `.some(nil)`
    /// for neither, `.none` after an error. The token is a secret (redacted wherever it could
    /// show) and must be one visible-ASCII word, as it is sent in a header.
    func decodeAdminToken(_ fields: Fields, what: String = "admin") -> String?? {
        let inline = fields["token"], file = fields["token_file"]
        let token: String
        let mark: SourceMark?
        switch (inline, file) {
        case (nil, nil):
            return .some(nil)
        case (_?, _?):
            reader.error("'\(what)' takes either 'token' or 'token_file', not both", at: fields.mark)
            return .none
        case (let node?, nil):
            guard let text = reader.string(node, "'\(what).token'", secret: true) else { return .none }
            token = text
            mark = node.mark
        case (nil, let node?):
            guard let path = reader.string(node, "'\(what).token_file'") else { return .none }
            switch SecretFile.read(reader.resolvedPath(path)) {
            case .success(let text):
                token = text
            case .failure(let error):
                reader.error("cannot read \(what).token_file '\(path)': \(error.reason)", at: node.mark)
                return .none
            }
            mark = node.mark
        }
        guard !token.isEmpty else {
            reader.error("the \(what) token is empty", at: mark)
            return .none
        }
        guard token.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else {
            reader.error("the \(what) token must be visible ASCII without spaces (it is sent as 'Authorization: Bearer <token>')", at: mark)
            return .none
        }
        reader.secrets.insert(token)
        return .some(token)
    }
}
