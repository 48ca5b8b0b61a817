extension ConfigDecoder {
    /// `dead_letters: { max_bytes: 256MiB, max_age: 30d }`, every key optional. `max_bytes` is
    /// checked against the journal's budget, which the letters count toward.
    func decodeDeadLetters(_ node: YAMLNode?, journal: JournalConfig) -> DeadLetterConfig {
        var config = DeadLetterConfig(maxBytes: DeadLetterConfig.defaultMaxBytes(journalMaxBytes: journal.maxBytes))
        guard let node, let fields = reader.fields(node, of: "'dead_letters'", allowed: ["max_bytes", "max_age"]) else {
            return config
        }
        if let size = fields["max_bytes"], let value = reader.byteSize(size, "'dead_letters.max_bytes'") {
            if value < 64 << 10 {
                reader.error("'dead_letters.max_bytes' must be at least 64KiB", at: size.mark)
            } else if value > journal.maxBytes / 2 {
                reader.error(
                    "'dead_letters.max_bytes' must be at most half of 'journal.max_bytes' (\(journal.maxBytes / 2) bytes): "
                        + "dead letters count toward the journal's budget, and must not fill it", at: size.mark)
            }
            config.maxBytes = value
        }
        if let age = fields["max_age"], let value = reader.duration(age, "'dead_letters.max_age'") {
            if value < .seconds(1) { reader.error("'dead_letters.max_age' must be at least 1s", at: age.mark) }
            config.maxAge = value
        }
        return config
    }
}
