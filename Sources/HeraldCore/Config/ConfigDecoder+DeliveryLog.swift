extension ConfigDecoder {
    /// `delivery_log: { enabled: true, max_bytes: 64MiB, keep: 4 }`, every key optional.
    func decodeDeliveryLog(_ node: YAMLNode?) -> DeliveryLogConfig {
        var config = DeliveryLogConfig()
        guard let node, let fields = reader.fields(node, of: "'delivery_log'", allowed: ["enabled", "max_bytes", "keep"]) else { return config }
        if let enabled = fields["enabled"].flatMap({ reader.bool($0, "'delivery_log.enabled'") }) { config.enabled = enabled }
        if let size = fields["max_bytes"], let value = reader.byteSize(size, "'delivery_log.max_bytes'") {
            if value < 64 << 10 { reader.error("'delivery_log.max_bytes' must be at least 64KiB", at: size.mark) }
            config.maxBytes = value
        }
        if let keep = fields["keep"].flatMap({ reader.int($0, "'delivery_log.keep'", in: 0...1000) }) { config.keep = keep }
        return config
    }
}
