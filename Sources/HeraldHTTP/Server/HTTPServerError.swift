/// Why ``HTTPServer`` could not start: the failing call, its `errno` and a readable message.
public struct HTTPServerError: Error, Sendable, Hashable, CustomStringConvertible {
    public var operation: String
    public var code: Int32
    public var message: String

    public init(operation: String, code: Int32, message: String) {
        self.operation = operation
        self.code = code
        self.message = message
    }

    public var description: String {
        "\(operation): \(message)"
    }
}
