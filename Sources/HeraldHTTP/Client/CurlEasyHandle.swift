import CCurl

/// One pooled libcurl easy handle and the error buffer libcurl writes into.
///
/// Confined to the ``CurlMultiLoop`` thread, like every other libcurl handle.
final class CurlEasyHandle {
    /// The request properties behind the options that a transfer leaves in place for the next one.
    struct Profile: Equatable {
        var method: String
        var tls: TLSOptions
        var proxy: String?
        var connectTimeout: Duration?
    }

    let handle: UnsafeMutableRawPointer
    let errorBuffer: UnsafeMutablePointer<CChar>
    /// What the handle is configured for; `nil` after a reset or a failed configuration.
    var profile: Profile?

    init?() {
        guard let handle = curl_easy_init() else { return nil }
        self.handle = handle
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
    }

    deinit {
        curl_easy_cleanup(handle)
        errorBuffer.deallocate()
    }

    /// Clears the options of the previous transfer; libcurl keeps connections in the multi handle's cache.
    func reset() {
        curl_easy_reset(handle)
        errorBuffer[0] = 0
        profile = nil
    }

    var errorMessage: String {
        String(cString: errorBuffer)
    }
}
