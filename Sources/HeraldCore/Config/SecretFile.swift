import Foundation
import Glibc

/// Reads a `secret_file` or `token_file`: a regular file of at most 64 KiB, opened without
/// blocking, so that a FIFO, a device such as /dev/zero or a huge file gives a clear error
/// instead of hanging `check`, start-up or a reload.
enum SecretFile {
    static let maxBytes = 64 << 10

    /// The file's text without surrounding whitespace, or why it cannot be used.
    static func read(_ path: String) -> Result<String, SecretFileError> {
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY)
        guard fd >= 0 else { return .failure(SecretFileError(reason: String(cString: strerror(errno)))) }
        defer { close(fd) }
        var status = stat()
        guard fstat(fd, &status) == 0 else { return .failure(SecretFileError(reason: String(cString: strerror(errno)))) }
        guard status.st_mode & S_IFMT == S_IFREG else { return .failure(SecretFileError(reason: "not a regular file")) }
        guard status.st_size <= maxBytes else { return .failure(SecretFileError(reason: "larger than 64 KiB")) }
        var bytes = [UInt8](repeating: 0, count: Int(status.st_size))
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + done, $0.count - done) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { break }
            done += n
        }
        guard let text = String(validating: bytes[..<done], as: UTF8.self) else {
            return .failure(SecretFileError(reason: "not UTF-8 text"))
        }
        return .success(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }
}

struct SecretFileError: Error {
    var reason: String
}
