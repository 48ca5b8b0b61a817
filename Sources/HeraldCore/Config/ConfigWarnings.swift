import HeraldHTTP

/// Valid settings worth a warning: features this version accepts but does not act on yet, and
/// settings that weaken security. `herald check` prints them and `herald run` logs them at start-up.
public enum ConfigWarnings {
    public static func list(for config: HeraldConfig) -> [String] {
        var warnings: [String] = []
        for endpoint in config.endpoints where endpoint.enabled {
            if endpoint.tls.insecureSkipVerify {
                warnings.append("endpoint '\(endpoint.name)': tls.insecure_skip_verify is on: its server certificate is not checked, so anyone on the path can read and alter its deliveries")
            }
        }
        return warnings
    }
}
