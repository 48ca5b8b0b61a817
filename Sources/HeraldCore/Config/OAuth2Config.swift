/// An endpoint's OAuth2 client credentials (`oauth2:`): Herald fetches an access token from
/// `tokenURL` and sends it as `Authorization: Bearer …`.
public struct OAuth2Config: Sendable, Equatable {
    public var tokenURL: String
    public var clientID: String
    public var clientSecret: String
    public var scope: String?
    public var audience: String?
}
