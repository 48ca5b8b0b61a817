#if canImport(Glibc)
import Glibc
import HeraldTestSupport
#endif

/// A child process for tests that need a real third-party peer (nginx, openssl).
struct ChildProcess: Sendable {
    let pid: pid_t

    /// Starts `arguments[0]` (an absolute path) with the rest as its arguments; output goes to /dev/null.
    static func start(_ arguments: [String]) -> ChildProcess? {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, arguments[0], &actions, nil, &argv, environ)
        return rc == 0 ? ChildProcess(pid: pid) : nil
    }

    /// Runs a command to completion; its exit status, or -1. The wait happens on a dedicated thread.
    static func run(_ arguments: [String]) async -> Int32 {
        guard let child = start(arguments) else { return -1 }
        return await onDedicatedThread { child.blockingWait() }
    }

    /// Blocks in `waitpid` until the child exits: only for dedicated threads, never for async code.
    func blockingWait() -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return (status & 0x7F) == 0 ? (status >> 8) & 0xFF : -1
    }

    /// Sends SIGTERM and reaps the child on a thread of its own, then runs `afterExit` there; returns at once,
    /// so it can be called from a `deinit` that runs on Swift's cooperative pool.
    func terminate(afterExit: @escaping @Sendable () -> Void = {}) {
        kill(pid, SIGTERM)
        let child = self
        detachThread {
            _ = child.blockingWait()
            afterExit()
        }
    }
}

/// A fresh directory under /tmp, removed by the caller with `removeDirectory`.
func makeTemporaryDirectory() -> String {
    var template = Array("/tmp/herald-http-test-XXXXXX".utf8CString)
    return template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)) }
}

/// Removes `path` and everything below it, in this process (no `rm` child to wait for); symbolic links are
/// removed, not followed.
func removeDirectory(_ path: String) {
    if let directory = opendir(path) {
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name == "." || name == ".." { continue }
            let child = path + "/" + name
            if unlink(child) != 0 && errno == EISDIR { removeDirectory(child) }
        }
        closedir(directory)
    }
    rmdir(path)
}

func writeFile(_ path: String, _ text: String) {
    guard let file = fopen(path, "w") else { return }
    fputs(text, file)
    fclose(file)
}

func fileExists(_ path: String) -> Bool {
    access(path, X_OK) == 0
}

/// Open pipe descriptors of this process (only ``HTTPServer`` creates pipes in these tests), for leak checks.
func openPipeCount() -> Int {
    guard let directory = opendir("/proc/self/fd") else { return -1 }
    defer { closedir(directory) }
    var count = 0
    var target = [CChar](repeating: 0, count: 256)
    while let entry = readdir(directory) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let length = readlink("/proc/self/fd/\(name)", &target, target.count - 1)
        if length > 0, String(decoding: target[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self).hasPrefix("pipe:") {
            count += 1
        }
    }
    return count
}
