import HeraldHTTP
/// The HTTP request one delivery sends: what `explain` prints and the dispatcher POSTs.
public struct DeliveryRequest: Sendable, Equatable {
    public var method: String
    public var url: String
    public var headers: [HTTPHeader]
    public var body: [UInt8]

    public func header(_ name: String) -> String? {
        headers.first(named: name)
    }
}
