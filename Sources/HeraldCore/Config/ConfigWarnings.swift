/// Valid settings worth a warning: features this version accepts but does not act on yet.
public enum ConfigWarnings {
    public static func list(for config: HeraldConfig) -> [String] {
        var warnings: [String] = []
        for endpoint in config.endpoints where endpoint.enabled {
            if endpoint.ordering != nil {
                warnings.append("endpoint '\(endpoint.name)': 'ordering' is accepted but not enforced yet")
            }
        }
        return warnings
    }
}
