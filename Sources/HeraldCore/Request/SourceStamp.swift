import HeraldHTTP

/// The source a delivery's event came from, kept with its journaled payload as pseudo-headers
/// (names starting with `:` never reach a request) when the config names its sources: the
/// delivery log records it, and an event journaled unrendered is decoded again under its own
/// source's settings.
enum SourceStamp {
    static let sourceHeader = ":source"
    static let fileHeader = ":file"
    /// A Kafka message's key.
    static let keyHeader = ":key"

    static func headers(_ metadata: EventMetadata) -> [HTTPHeader] {
        var headers: [HTTPHeader] = []
        if let source = metadata.source { headers.append(HTTPHeader(sourceHeader, source)) }
        if let file = metadata.file { headers.append(HTTPHeader(fileHeader, file)) }
        return headers
    }

    /// The metadata a payload's pseudo-headers hold (empty when it has none).
    static func metadata(in headers: [HTTPHeader]) -> EventMetadata {
        var metadata = EventMetadata()
        for header in headers where header.name.utf8.first == UInt8(ascii: ":") {
            if header.name == sourceHeader { metadata.source = header.value }
            if header.name == fileHeader { metadata.file = header.value }
            if header.name == keyHeader { metadata.key = header.value }
        }
        return metadata
    }

    /// Whether a header is one of Herald's own, kept with the payload and never sent.
    static func isPseudo(_ header: HTTPHeader) -> Bool { header.name.utf8.first == UInt8(ascii: ":") }
}
