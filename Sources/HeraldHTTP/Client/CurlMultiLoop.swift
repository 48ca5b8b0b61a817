import CCurl
import DequeModule
import Synchronization

/// libcurl's process-wide initialisation, run once before the first handle exists.
private let curlGlobalInit: CURLcode = curl_global_init(Int(CURL_GLOBAL_DEFAULT))

/// The one thread that drives libcurl: it owns the `CURLM` handle, every easy handle and every transfer.
///
/// Thread confinement (hence `@unchecked Sendable`): `multi`, `idle`, `active` and all `CURL*` pointers are used
/// only by the loop thread inside `run()`, plus `init` and `deinit`, which happen before the thread starts and after
/// it was joined. Other threads touch only `inbox` (behind a mutex) and call `curl_multi_wakeup`, which libcurl
/// documents as safe from any thread.
final class CurlMultiLoop: @unchecked Sendable {
    private enum Command {
        case submit(HTTPRequest, UInt64, HTTPCompletion)
        case cancel(UInt64)
    }

    private struct Inbox {
        var commands: Deque<Command> = []
        var closed = false
        /// The loop is (about to be) blocked in `curl_multi_poll` and needs a wake-up for new commands.
        var sleeping = false
        var thread: PosixThread?
    }

    private let inbox = Mutex(Inbox())
    private let multi: UnsafeMutableRawPointer
    private let configuration: HTTPClient.Configuration
    private var idle: [CurlEasyHandle] = []
    private var active: [UInt64: CurlTransfer] = [:]
    /// The last request's wanted response headers as lowercase bytes: callers pass the same set
    /// request after request, so it is converted once, not per transfer.
    private var wanted: (names: Set<String>, bytes: [[UInt8]])?

    init(configuration: HTTPClient.Configuration) throws(HTTPTransportError) {
        if curlGlobalInit != CURLE_OK {
            throw HTTPTransportError(kind: .other(Int(curlGlobalInit.rawValue)), code: Int(curlGlobalInit.rawValue),
                                     message: "curl_global_init failed")
        }
        guard let multi = curl_multi_init() else {
            throw HTTPTransportError(kind: .other(0), code: 0, message: "curl_multi_init failed")
        }
        self.multi = multi
        self.configuration = configuration
        _ = herald_multi_setopt_long(multi, CURLMOPT_PIPELINING, Int(CURLPIPE_MULTIPLEX))
        if configuration.maxCachedConnections > 0 {
            _ = herald_multi_setopt_long(multi, CURLMOPT_MAXCONNECTS, configuration.maxCachedConnections)
        }
        if configuration.maxConnectionsPerHost > 0 {
            _ = herald_multi_setopt_long(multi, CURLMOPT_MAX_HOST_CONNECTIONS, configuration.maxConnectionsPerHost)
        }
        guard let thread = PosixThread.start(name: "herald-curl", { [self] in run() }) else {
            curl_multi_cleanup(multi)
            throw HTTPTransportError(kind: .other(0), code: 0, message: "could not start the HTTP client thread")
        }
        inbox.withLock { $0.thread = thread }
    }

    deinit {
        idle.removeAll()
        curl_multi_cleanup(multi)
    }

    func submit(_ request: HTTPRequest, id: UInt64, continuation: HTTPCompletion) {
        enum Outcome { case queued(wake: Bool), closed, cancelled }
        // Checking cancellation under the lock orders this submit before any `cancel(id)` from the handler.
        let outcome = inbox.withLock { inbox -> Outcome in
            if inbox.closed { return .closed }
            // A waiting task may have been cancelled; a callback belongs to no task.
            if case .resume = continuation, Task.isCancelled { return .cancelled }
            inbox.commands.append(.submit(request, id, continuation))
            let wake = inbox.sleeping
            inbox.sleeping = false
            return .queued(wake: wake)
        }
        switch outcome {
        case .queued(let wake):
            if wake { curl_multi_wakeup(multi) }
        case .closed:
            continuation.complete(Self.cancelledResult("the HTTP client was shut down"))
        case .cancelled:
            continuation.complete(Self.cancelledResult("the request was cancelled"))
        }
    }

    func cancel(_ id: UInt64) {
        let wake = inbox.withLock { inbox -> Bool in
            if inbox.closed { return false }
            inbox.commands.append(.cancel(id))
            let wake = inbox.sleeping
            inbox.sleeping = false
            return wake
        }
        if wake { curl_multi_wakeup(multi) }
    }

    func shutdown() {
        let thread = inbox.withLock { inbox -> PosixThread? in
            inbox.closed = true
            defer { inbox.thread = nil }
            return inbox.thread
        }
        guard let thread else { return }
        curl_multi_wakeup(multi)
        if !thread.isCurrent { thread.join() }
    }

    private func run() {
        var commands: Deque<Command> = []
        while true {
            let closed = inbox.withLock { inbox -> Bool in
                swap(&commands, &inbox.commands)
                return inbox.closed
            }
            while let command = commands.popFirst() {
                switch command {
                case .submit(let request, let id, let continuation):
                    if closed {
                        continuation.complete(Self.cancelledResult("the HTTP client was shut down"))
                    } else {
                        start(request, id: id, continuation: continuation)
                    }
                case .cancel(let id):
                    if let transfer = active[id] {
                        finish(transfer, code: CURLE_ABORTED_BY_CALLBACK, cancelled: "the request was cancelled")
                    }
                }
            }
            if closed {
                for transfer in Array(active.values) {
                    finish(transfer, code: CURLE_ABORTED_BY_CALLBACK, cancelled: "the HTTP client was shut down")
                }
                idle.removeAll()
                return
            }

            var running: Int32 = 0
            curl_multi_perform(multi, &running)
            var queued: Int32 = 0
            while let message = curl_multi_info_read(multi, &queued) {
                guard message.pointee.msg == CURLMSG_DONE, let handle = message.pointee.easy_handle else { continue }
                let code = message.pointee.data.result
                var context: UnsafeMutableRawPointer?
                _ = herald_easy_getinfo_ptr(handle, CURLINFO_PRIVATE, &context)
                guard let context else { continue }
                finish(Unmanaged<CurlTransfer>.fromOpaque(context).takeUnretainedValue(), code: code, cancelled: nil)
            }

            let sleep = inbox.withLock { inbox -> Bool in
                inbox.sleeping = inbox.commands.isEmpty && !inbox.closed
                return inbox.sleeping
            }
            if sleep {
                curl_multi_poll(multi, nil, 0, 1000, nil)
                inbox.withLock { $0.sleeping = false }
            }
        }
    }

    private func start(_ request: HTTPRequest, id: UInt64, continuation: HTTPCompletion) {
        guard let easy = idle.popLast() ?? CurlEasyHandle() else {
            continuation.complete(
                HTTPResult(error: HTTPTransportError(kind: .other(0), code: 0, message: "curl_easy_init failed")))
            return
        }
        let transfer = CurlTransfer(
            id: id, continuation: continuation, easy: easy, maxResponseBytes: configuration.maxResponseBytes)
        if let invalid = transfer.configure(request, wanted: wantedBytes(request.responseHeaders)) {
            transfer.releaseRequestMemory()
            recycle(easy)
            continuation.complete(HTTPResult(error: invalid))
            return
        }
        let added = curl_multi_add_handle(multi, easy.handle)
        if added != CURLM_OK {
            transfer.releaseRequestMemory()
            recycle(easy)
            let message = String(cString: curl_multi_strerror(added))
            continuation.complete(HTTPResult(error: HTTPTransportError(kind: .other(0), code: 0, message: message)))
            return
        }
        active[id] = transfer
    }

    private func wantedBytes(_ names: Set<String>?) -> [[UInt8]]? {
        guard let names else { return nil }
        if let wanted, wanted.names == names { return wanted.bytes }
        let bytes = names.map { Array($0.lowercased().utf8) }
        wanted = (names, bytes)
        return bytes
    }

    /// Collects the outcome, detaches the easy handle from the multi handle and resumes the caller.
    private func finish(_ transfer: CurlTransfer, code: CURLcode, cancelled: String?) {
        let handle = transfer.easy.handle
        var status = 0
        _ = herald_easy_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        var version = 0
        _ = herald_easy_getinfo_long(handle, CURLINFO_HTTP_VERSION, &version)
        var connects = 0
        _ = herald_easy_getinfo_long(handle, CURLINFO_NUM_CONNECTS, &connects)
        var micros: curl_off_t = 0
        _ = herald_easy_getinfo_off(handle, CURLINFO_TOTAL_TIME_T, &micros)
        var code = code
        if code != CURLE_OK && cancelled == nil && Self.answeredBeforeBodyWasSent(handle, code: code, status: status) {
            code = CURLE_OK
        }

        var error: HTTPTransportError?
        if let cancelled {
            error = HTTPTransportError(kind: .cancelled, code: Int(code.rawValue), message: cancelled)
        } else if code != CURLE_OK, let refusal = transfer.refusal {
            error = HTTPTransportError(kind: .refused, code: Int(code.rawValue), message: "refused to connect: \(refusal) (allow_private: true permits it)")
        } else if code != CURLE_OK {
            var message = transfer.easy.errorMessage
            if message.isEmpty { message = String(cString: curl_easy_strerror(code)) }
            error = HTTPTransportError(kind: Self.kind(of: code), code: Int(code.rawValue), message: message)
        }
        let result = HTTPResult(
            status: status > 0 ? status : nil,
            headers: status > 0 ? transfer.responseHeaders : [],
            body: transfer.responseBody,
            bodyTruncated: transfer.bodyTruncated,
            error: error,
            duration: .microseconds(micros),
            httpVersion: status > 0 ? Self.versionName(version) : "",
            connectionReused: status > 0 && connects == 0
        )

        curl_multi_remove_handle(multi, handle)
        // After a failure the next transfer starts from a reset handle rather than trusting what is left in it.
        if code != CURLE_OK || cancelled != nil { transfer.easy.profile = nil }
        active[transfer.id] = nil
        transfer.releaseRequestMemory()
        recycle(transfer.easy)
        transfer.continuation.complete(result)
    }

    /// A server may answer and close the stream before reading the whole request body (nginx's `return 204` resets
    /// an HTTP/2 stream this way); libcurl then fails the send although a complete final response arrived.
    /// That response is the server's answer, so it counts as a success rather than a transport error.
    private static func answeredBeforeBodyWasSent(_ handle: UnsafeMutableRawPointer, code: CURLcode, status: Int) -> Bool {
        guard code == CURLE_HTTP2_STREAM || code == CURLE_HTTP2 || code == CURLE_SEND_ERROR, status >= 200 else {
            return false
        }
        if status == 204 || status == 304 { return true }
        var expected: curl_off_t = -1
        _ = herald_easy_getinfo_off(handle, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &expected)
        var received: curl_off_t = 0
        _ = herald_easy_getinfo_off(handle, CURLINFO_SIZE_DOWNLOAD_T, &received)
        return expected >= 0 && received == expected
    }

    private func recycle(_ easy: CurlEasyHandle) {
        if idle.count < configuration.maxIdleHandles { idle.append(easy) }
    }

    private static func cancelledResult(_ message: String) -> HTTPResult {
        HTTPResult(error: HTTPTransportError(kind: .cancelled, code: 0, message: message))
    }

    static func kind(of code: CURLcode) -> HTTPTransportError.Kind {
        switch code {
        case CURLE_COULDNT_CONNECT:
            return .connect
        case CURLE_OPERATION_TIMEDOUT:
            return .timeout
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY:
            return .dns
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER,
            CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ENGINE_NOTFOUND, CURLE_SSL_ENGINE_SETFAILED, CURLE_USE_SSL_FAILED,
            CURLE_SSL_ENGINE_INITFAILED, CURLE_SSL_SHUTDOWN_FAILED, CURLE_SSL_CRL_BADFILE, CURLE_SSL_ISSUER_ERROR,
            CURLE_SSL_PINNEDPUBKEYNOTMATCH, CURLE_SSL_INVALIDCERTSTATUS, CURLE_SSL_CLIENTCERT:
            return .tls
        case CURLE_URL_MALFORMAT, CURLE_UNSUPPORTED_PROTOCOL:
            return .invalidRequest
        default:
            return .other(Int(code.rawValue))
        }
    }

    private static func versionName(_ version: Int) -> String {
        switch version {
        case Int(CURL_HTTP_VERSION_1_0): return "1.0"
        case Int(CURL_HTTP_VERSION_1_1): return "1.1"
        case Int(CURL_HTTP_VERSION_2_0): return "2"
        case Int(CURL_HTTP_VERSION_3): return "3"
        default: return ""
        }
    }
}
