/// A consumer that cannot be made (a bad property, an unknown broker list) or a call librdkafka refused.
public struct KafkaError: Error, Sendable, CustomStringConvertible {
    public var description: String

    public init(_ description: String) {
        self.description = description
    }
}
