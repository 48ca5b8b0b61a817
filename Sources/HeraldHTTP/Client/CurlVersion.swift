import CCurl

/// What the linked libcurl is and can do, for `herald --version` and start-up logs.
public struct CurlVersion: Sendable, Equatable {
    public var version: String
    public var sslVersion: String?
    public var supportsHTTP2: Bool
    public var supportsTLS: Bool

    /// Reads libcurl's runtime version record.
    public static var current: CurlVersion {
        guard let info = herald_curl_version_info() else {
            return CurlVersion(version: "unknown", sslVersion: nil, supportsHTTP2: false, supportsTLS: false)
        }
        let record = info.pointee
        let features = record.features
        return CurlVersion(
            version: String(cString: record.version),
            sslVersion: record.ssl_version.map { String(cString: $0) },
            supportsHTTP2: features & CURL_VERSION_HTTP2 != 0,
            supportsTLS: features & CURL_VERSION_SSL != 0
        )
    }

    /// `libcurl 7.88.1 (OpenSSL/3.0.x; http2)`.
    public var summary: String {
        var parts: [String] = []
        if let sslVersion { parts.append(sslVersion) }
        if supportsHTTP2 { parts.append("http2") }
        return "libcurl \(version)" + (parts.isEmpty ? "" : " (\(parts.joined(separator: "; ")))")
    }
}
