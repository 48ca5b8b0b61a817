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
        var refusePrivate = false
    }

    let handle: UnsafeMutableRawPointer
    let errorBuffer: UnsafeMutablePointer<CChar>
    /// What the handle is configured for; `nil` after a reset or a failed configuration.
    var profile: Profile?
    /// The header lines of the handle's transfer, refilled for the next one.
    let headers = CurlHeaderList()
    /// Body memory reused across the handle's transfers; a larger body gets its own, freed after.
    private var bodyBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 1)
    private var oversizedBody: UnsafeMutableRawBufferPointer?
    static let reusedBodyLimit = 64 << 10

    init?() {
        guard let handle = curl_easy_init() else { return nil }
        self.handle = handle
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
    }

    deinit {
        curl_easy_cleanup(handle)
        errorBuffer.deallocate()
        bodyBuffer.deallocate()
        oversizedBody?.deallocate()
    }

    /// Memory for a request body of `count` bytes, valid until ``releaseBody()``.
    func bodyStorage(count: Int) -> UnsafeMutableRawBufferPointer {
        releaseBody()
        if count <= bodyBuffer.count { return bodyBuffer }
        if count <= Self.reusedBodyLimit {
            bodyBuffer.deallocate()
            bodyBuffer = .allocate(byteCount: max(count, bodyBuffer.count * 2), alignment: 1)
            return bodyBuffer
        }
        let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: count, alignment: 1)
        oversizedBody = storage
        return storage
    }

    /// Frees a body too large to keep; call once libcurl no longer uses it.
    func releaseBody() {
        oversizedBody?.deallocate()
        oversizedBody = nil
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
