import Foundation

/// A port the kernel picked for this test and keeps for it: a socket bound to 127.0.0.1 with `SO_REUSEADDR` that
/// never listens.
///
/// While it is held, connecting to the port is refused (what a receiver that is down looks like), the kernel
/// hands the port to no other `bind` to port 0, so a receiver in a test running in parallel cannot take it, and a
/// server that also sets `SO_REUSEADDR` (``HTTPServer``, `herald listen`, the admin API, nginx) can still bind
/// and listen on it. Hold it until whatever should listen on the port has started: `defer { port.release() }`.
final class PortReservation: Sendable {
    let port: Int
    private let fd: Int32

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        var on: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard bound else {
            let code = errno
            close(fd)
            throw POSIXError(POSIXErrorCode(rawValue: code) ?? .EIO)
        }
        self.fd = fd
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    /// Marks the end of the reservation's use; the socket closes when the last reference goes.
    func release() {
        withExtendedLifetime(self) {}
    }

    deinit {
        close(fd)
    }
}
