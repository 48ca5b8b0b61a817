/// Turns what a route shaped into the bytes, content type and extra headers of the endpoint's format.
enum PayloadEncoder {
    /// A route's output before formatting.
    enum Shaped {
        /// The event after the field operations (or untouched).
        case event(JSONObject)
        /// The route's `body:` structure, rendered.
        case body(JSONValue)
        /// The route's `template:` text, rendered.
        case text(String)
    }

    struct Failure: Error {
        var message: String
        /// Set when the encoded body passed the endpoint's `max_body_bytes`.
        var tooLarge: BodyTooLarge?
    }

    static func contentType(for format: PayloadFormat, options: FormatOptions) -> String {
        switch format {
        case .json, .slack, .teams, .mattermost, .discord: "application/json"
        case .form: "application/x-www-form-urlencoded"
        case .xml: "application/xml"
        case .cloudevents: options.cloudEvents.mode == .structured ? "application/cloudevents+json" : "application/json"
        }
    }

    /// The body in the endpoint's format, given up once it passes `max_body_bytes`.
    static func encode(_ shaped: Shaped, event: Event, endpoint: EndpointConfig) throws(Failure) -> StoredPayload {
        let format = endpoint.format
        let type = contentType(for: format, options: endpoint.formatOptions)
        let limit = endpoint.maxBodyBytes
        func bounded<T>(_ encode: () throws(BodyTooLarge) -> T) throws(Failure) -> T {
            do throws(BodyTooLarge) {
                return try encode()
            } catch {
                throw Failure(message: error.description, tooLarge: error)
            }
        }
        func json(_ value: JSONValue) throws(Failure) -> [UInt8] {
            try bounded { () throws(BodyTooLarge) in try JSONWriter.encodeBytes(value, limit: limit, stage: format.rawValue) }
        }
        switch (format, shaped) {
        case (_, .text(let text)) where format.isChat:
            return StoredPayload(contentType: type, body: try json(ChatMessage.body(format, text: text)))
        case (_, .event(let object)) where format.isChat:
            let text = ChatMessage.summary(of: event, body: object, format: format)
            return StoredPayload(contentType: type, body: try json(ChatMessage.body(format, text: text)))
        case (.cloudevents, .text(let text)):
            let data: CloudEventsEncoder.Data = (try? JSONParser.parse(Array(text.utf8))).map { .json($0) } ?? .text(text)
            return try bounded { () throws(BodyTooLarge) in
                try CloudEventsEncoder.payload(data, event: event, options: endpoint.formatOptions.cloudEvents, limit: limit)
            }
        case (.cloudevents, _):
            return try bounded { () throws(BodyTooLarge) in
                try CloudEventsEncoder.payload(.json(shaped.value), event: event, options: endpoint.formatOptions.cloudEvents, limit: limit)
            }
        case (_, .text(let text)):
            guard text.utf8.count <= limit else {
                let bound = BodyTooLarge(limit: limit, stage: format.rawValue)
                throw Failure(message: bound.description, tooLarge: bound)
            }
            return StoredPayload(contentType: type, body: Array(text.utf8))
        case (.form, _):
            guard case .object(let object) = shaped.value else {
                throw Failure(message: "the form format needs an object, and the route's body is \(shaped.value.typeName)")
            }
            return StoredPayload(contentType: type, body: try bounded { () throws(BodyTooLarge) in try FormEncoder.encode(object, limit: limit) })
        case (.xml, _):
            let root = endpoint.formatOptions.xmlRoot
            return StoredPayload(
                contentType: type, body: try bounded { () throws(BodyTooLarge) in try XMLEncoder.encode(shaped.value, root: root, limit: limit) })
        default:
            return StoredPayload(contentType: type, body: try json(shaped.value))
        }
    }
}

extension PayloadEncoder.Shaped {
    /// The JSON value of a structured result (text is a string).
    var value: JSONValue {
        switch self {
        case .event(let object): .object(object)
        case .body(let value): value
        case .text(let text): .string(text)
        }
    }
}

extension PayloadFormat {
    /// Slack, Teams, Mattermost and Discord: the body is a chat message around a text.
    public var isChat: Bool {
        switch self {
        case .slack, .teams, .mattermost, .discord: true
        default: false
        }
    }
}
