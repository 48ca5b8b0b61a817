extension ConfigDecoder {
    /// An endpoint's `xml: {root}` and `cloudevents: {mode, source, time_field}`; other formats ignore them.
    func decodeFormatOptions(_ fields: Fields) -> FormatOptions {
        var options = FormatOptions()
        if let node = fields["xml"], let xml = reader.fields(node, of: "'xml'", allowed: ["root"]),
            let rootNode = xml["root"], let root = reader.string(rootNode, "'xml.root'") {
            if XMLEncoder.isValidName(root) {
                options.xmlRoot = root
            } else {
                reader.error("'xml.root' must be an XML element name (a letter or '_', then letters, digits, '-', '_', '.'; not starting with 'xml'), found '\(root)'",
                             at: rootNode.mark, suggestion: "did you mean '\(XMLEncoder.elementName(root))'?")
            }
        }
        if let node = fields["cloudevents"], let ce = reader.fields(node, of: "'cloudevents'", allowed: ["mode", "source", "time_field"]) {
            if let modeNode = ce["mode"], let text = reader.string(modeNode, "'cloudevents.mode'") {
                if let mode = CloudEventsOptions.Mode(rawValue: text) {
                    options.cloudEvents.mode = mode
                } else {
                    let names = CloudEventsOptions.Mode.allCases.map(\.rawValue)
                    reader.error("'cloudevents.mode' must be binary or structured, found '\(text)'", at: modeNode.mark,
                                 suggestion: Suggestion.closest(to: text, in: names).map { "did you mean '\($0)'?" })
                }
            }
            if let sourceNode = ce["source"], let source = reader.string(sourceNode, "'cloudevents.source'") {
                if source.isEmpty { reader.error("'cloudevents.source' must not be empty", at: sourceNode.mark) }
                options.cloudEvents.source = source
            }
            if let timeNode = ce["time_field"], let path = reader.fieldPath(timeNode, "'cloudevents.time_field'") {
                options.cloudEvents.timeField = path
            }
        }
        return options
    }
}
