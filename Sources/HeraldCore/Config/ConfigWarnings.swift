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
            if !endpoint.allowedHosts.isEmpty, endpoint.urlTemplate?.templatesHost != true {
                warnings.append("endpoint '\(endpoint.name)': allowed_hosts has no effect: its url's host is fixed (it applies to a url with a {{placeholder}} in its host)")
            }
            if endpoint.allowPrivate, endpoint.urlTemplate?.templatesHost == true {
                warnings.append("endpoint '\(endpoint.name)': allow_private is on: events can make Herald connect to internal addresses (loopback, private ranges, cloud metadata) among its allowed_hosts")
            }
        }
        for source in config.sources {
            guard case .http(let http) = source.input, !http.isLoopback, http.token == nil else { continue }
            warnings.append("source '\(source.name)' listens on \(http.host):\(http.port), not a loopback address, without a token: anyone who can reach the port can send events that Herald signs and delivers; set source.http.token_file or listen on 127.0.0.1")
        }
        if let admin = config.admin, !admin.isLoopback, admin.token == nil {
            warnings.append("admin.listen \(admin.host):\(admin.port) is not a loopback address and has no token: anyone who can reach the port reads /metrics and /deliveries (event ids, types, receivers' answers); set admin.token_file (probes on /healthz and /readyz need no token) or listen on 127.0.0.1")
        }
        return warnings
    }
}
