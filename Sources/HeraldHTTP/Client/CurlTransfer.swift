import CCurl

/// The state of one in-flight request: its easy handle, the request memory libcurl points into, and the response so far.
///
/// Confined to the ``CurlMultiLoop`` thread; libcurl's callbacks reach it through an unretained context pointer
/// while the loop's `active` table keeps it alive.
final class CurlTransfer {
    let id: UInt64
    let continuation: HTTPCompletion
    let easy: CurlEasyHandle
    private let maxResponseBytes: Int

    var responseHeaders: [HTTPHeader] = []
    /// Lowercase UTF-8 names of the response headers to keep; nil keeps all.
    private var wantedHeaders: [[UInt8]]?
    var responseBody: [UInt8] = []
    var bodyTruncated = false
    /// Why the connection's address was refused (``HTTPRequest/refusePrivateAddresses``), if it was.
    var refusal: String?

    init(id: UInt64, continuation: HTTPCompletion, easy: CurlEasyHandle, maxResponseBytes: Int) {
        self.id = id
        self.continuation = continuation
        self.easy = easy
        self.maxResponseBytes = maxResponseBytes
    }

    /// Frees a large body's copy; call only once libcurl no longer uses the easy handle for this
    /// transfer. (The header lines and a smaller body stay with the easy handle for its next one.)
    func releaseRequestMemory() {
        easy.releaseBody()
    }

    /// Applies `request` to the easy handle: the whole option set when its profile (method, TLS, proxy, connect
    /// timeout) differs from the handle's previous transfer, otherwise only what changes per request.
    ///
    /// Skipping `curl_easy_reset` and the constant options for the common case of repeated requests to one endpoint
    /// keeps that work off the loop thread, which is the throughput bottleneck.
    func configure(_ request: HTTPRequest, wanted: [[UInt8]]?) -> HTTPTransportError? {
        let method = request.method
        guard !method.isEmpty, method.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != 0x3A }) else {
            return HTTPTransportError(kind: .invalidRequest, code: 0, message: "invalid method '\(method)'")
        }
        let headerList: UnsafeMutablePointer<curl_slist>?
        do {
            headerList = try configureHeaders(request)
        } catch {
            return error
        }
        wantedHeaders = wanted

        let h = easy.handle
        var failure: CURLcode = CURLE_OK
        func check(_ code: CURLcode) {
            if code != CURLE_OK && failure == CURLE_OK { failure = code }
        }
        let profile = CurlEasyHandle.Profile(
            method: method, tls: request.tls, proxy: request.proxy, connectTimeout: request.connectTimeout,
            refusePrivate: request.refusePrivateAddresses)
        if easy.profile != profile {
            easy.reset()
            applyProfile(profile, check: check)
        } else {
            easy.errorBuffer[0] = 0
        }

        let context = Unmanaged.passUnretained(self).toOpaque()
        check(herald_easy_setopt_str(h, CURLOPT_URL, request.url))
        check(herald_easy_setopt_ptr(h, CURLOPT_PRIVATE, context))
        check(herald_easy_setopt_ptr(h, CURLOPT_WRITEDATA, context))
        check(herald_easy_setopt_ptr(h, CURLOPT_HEADERDATA, context))
        if profile.refusePrivate {
            check(herald_easy_setopt_ptr(h, CURLOPT_OPENSOCKETDATA, context))
            check(herald_easy_setopt_ptr(h, CURLOPT_PREREQDATA, context))
        }
        check(herald_easy_setopt_long(h, CURLOPT_TIMEOUT_MS, max(1, Int(request.timeout.roundedUpMilliseconds))))
        if method != "GET" && method != "HEAD" {
            let storage = easy.bodyStorage(count: request.body.count)
            request.body.withUnsafeBytes { storage.copyMemory(from: $0) }
            check(herald_easy_setopt_off(h, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(request.body.count)))
            check(herald_easy_setopt_ptr(h, CURLOPT_POSTFIELDS, storage.baseAddress))
        }
        check(herald_easy_setopt_slist(h, CURLOPT_HTTPHEADER, headerList))

        if failure != CURLE_OK {
            easy.profile = nil
            return HTTPTransportError(
                kind: .invalidRequest, code: Int(failure.rawValue),
                message: String(cString: curl_easy_strerror(failure)))
        }
        easy.profile = profile
        return nil
    }

    /// Options that stay the same across transfers of one profile, set after `curl_easy_reset`.
    private func applyProfile(_ profile: CurlEasyHandle.Profile, check: (CURLcode) -> Void) {
        let h = easy.handle
        check(herald_easy_setopt_ptr(h, CURLOPT_ERRORBUFFER, easy.errorBuffer))
        check(herald_easy_setopt_long(h, CURLOPT_NOSIGNAL, 1))
        check(herald_easy_setopt_long(h, CURLOPT_FOLLOWLOCATION, 0))
        check(herald_easy_setopt_long(h, CURLOPT_HTTP_VERSION, Int(CURL_HTTP_VERSION_2TLS)))
        check(
            herald_easy_setopt_write_cb(h, CURLOPT_WRITEFUNCTION) { data, size, count, context in
                let length = size * count
                guard let data, let context else { return length }
                let transfer = Unmanaged<CurlTransfer>.fromOpaque(context).takeUnretainedValue()
                transfer.receiveBody(UnsafeRawBufferPointer(start: data, count: length))
                return length
            })
        check(
            herald_easy_setopt_write_cb(h, CURLOPT_HEADERFUNCTION) { data, size, count, context in
                let length = size * count
                guard let data, let context else { return length }
                let transfer = Unmanaged<CurlTransfer>.fromOpaque(context).takeUnretainedValue()
                transfer.receiveHeaderLine(UnsafeRawBufferPointer(start: data, count: length))
                return length
            })

        if let connectTimeout = profile.connectTimeout {
            check(herald_easy_setopt_long(h, CURLOPT_CONNECTTIMEOUT_MS, max(1, Int(connectTimeout.roundedUpMilliseconds))))
        }
        // An empty proxy string also stops libcurl from reading http_proxy and friends from the environment.
        check(herald_easy_setopt_str(h, CURLOPT_PROXY, profile.proxy ?? ""))
        let tls = profile.tls
        if let caFile = tls.caFile { check(herald_easy_setopt_str(h, CURLOPT_CAINFO, caFile)) }
        if let clientCert = tls.clientCert { check(herald_easy_setopt_str(h, CURLOPT_SSLCERT, clientCert)) }
        if let clientKey = tls.clientKey { check(herald_easy_setopt_str(h, CURLOPT_SSLKEY, clientKey)) }
        if tls.insecureSkipVerify {
            check(herald_easy_setopt_long(h, CURLOPT_SSL_VERIFYPEER, 0))
            check(herald_easy_setopt_long(h, CURLOPT_SSL_VERIFYHOST, 0))
        }

        if profile.refusePrivate {
            // A new connection's address is checked before the socket exists; a reused one's (made
            // by another request to the same host and port) before the request is sent on it.
            check(herald_easy_setopt_opensocket_cb(h) { context, purpose, address in
                guard let context, let address else { return CURL_SOCKET_BAD }
                let transfer = Unmanaged<CurlTransfer>.fromOpaque(context).takeUnretainedValue()
                if let refusal = AddressPolicy.refusal(of: address) {
                    transfer.refusal = refusal
                    return CURL_SOCKET_BAD
                }
                return socket(address.pointee.family, address.pointee.socktype, address.pointee.protocol)
            })
            check(herald_easy_setopt_prereq_cb(h) { context, primaryIP, _, _, _ in
                guard let context, let primaryIP else { return CURL_PREREQFUNC_ABORT }
                let transfer = Unmanaged<CurlTransfer>.fromOpaque(context).takeUnretainedValue()
                let ip = String(cString: primaryIP)
                if let refusal = AddressPolicy.refusal(ofLiteral: ip) {
                    transfer.refusal = "\(ip) is \(refusal)"
                    return CURL_PREREQFUNC_ABORT
                }
                return CURL_PREREQFUNC_OK
            })
        }

        switch profile.method {
        case "GET":
            check(herald_easy_setopt_long(h, CURLOPT_HTTPGET, 1))
        case "HEAD":
            check(herald_easy_setopt_long(h, CURLOPT_NOBODY, 1))
        case "POST":
            check(herald_easy_setopt_long(h, CURLOPT_POST, 1))
        default:
            check(herald_easy_setopt_long(h, CURLOPT_POST, 1))
            check(herald_easy_setopt_str(h, CURLOPT_CUSTOMREQUEST, profile.method))
        }
    }

    /// Fills the easy handle's header list and returns its head.
    private func configureHeaders(_ request: HTTPRequest) throws(HTTPTransportError) -> UnsafeMutablePointer<curl_slist>? {
        let list = easy.headers
        list.removeAll()
        for header in request.headers where !list.append(name: header.name, value: header.value) {
            throw HTTPTransportError(kind: .invalidRequest, code: 0, message: "invalid header '\(header.name)'")
        }
        // No "Expect: 100-continue" round trip; no form-urlencoded type the caller did not ask for.
        list.append(line: "Expect:")
        if !list.hasContentType { list.append(line: "Content-Type:") }
        return list.link()
    }

    /// The last header line was not kept (its continuation lines are not either).
    private var skippedLast = false

    func receiveBody(_ bytes: UnsafeRawBufferPointer) {
        let room = maxResponseBytes - responseBody.count
        if bytes.count <= room {
            responseBody.append(contentsOf: bytes)
        } else {
            if room > 0 { responseBody.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[..<room])) }
            bodyTruncated = true
        }
    }

    /// Collects `Name: value` lines; a status line starts a new response (after a `1xx` or a proxy's `CONNECT` answer).
    func receiveHeaderLine(_ bytes: UnsafeRawBufferPointer) {
        var end = bytes.count
        while end > 0 && (bytes[end - 1] == 0x0A || bytes[end - 1] == 0x0D) { end -= 1 }
        guard end > 0 else { return }
        if end >= 5 && bytes[0] == 0x48 && bytes[1] == 0x54 && bytes[2] == 0x54 && bytes[3] == 0x50 && bytes[4] == 0x2F {
            responseHeaders.removeAll(keepingCapacity: true)
            return
        }
        if bytes[0] == 0x20 || bytes[0] == 0x09 {
            guard !skippedLast, !responseHeaders.isEmpty else { return }
            let continuation = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[..<end]), as: UTF8.self)
            responseHeaders[responseHeaders.count - 1].value += " " + continuation.trimmingSpaces()
            return
        }
        guard let colon = bytes[..<end].firstIndex(of: 0x3A) else { return }
        if let wantedHeaders, !wantedHeaders.contains(where: { headerName(bytes[..<colon], equalsLowercase: $0) }) {
            // A continuation line that follows a skipped header must not extend the previous kept one.
            skippedLast = true
            return
        }
        skippedLast = false
        let name = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[..<colon]), as: UTF8.self)
        var valueStart = colon + 1
        while valueStart < end && (bytes[valueStart] == 0x20 || bytes[valueStart] == 0x09) { valueStart += 1 }
        var valueEnd = end
        while valueEnd > valueStart && (bytes[valueEnd - 1] == 0x20 || bytes[valueEnd - 1] == 0x09) { valueEnd -= 1 }
        let value = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[valueStart..<valueEnd]), as: UTF8.self)
        responseHeaders.append(HTTPHeader(name, value))
    }
}

extension String {
    func trimmingSpaces() -> String {
        var scalars = Substring(self)
        while let first = scalars.first, first == " " || first == "\t" { scalars.removeFirst() }
        while let last = scalars.last, last == " " || last == "\t" { scalars.removeLast() }
        return String(scalars)
    }
}
