import Glibc

/// The symbolic name of an `errno` value (`EIO`, `ENOSPC`), for the label of
/// `herald_io_errors_total`: what an alert matches and a person looks up. (glibc's
/// `strerrorname_np` is not visible to Swift.) Values outside the table are `errno_<n>`.
enum ErrnoName {
    private static let names: [Int32: String] = [
        EIO: "EIO", ENOSPC: "ENOSPC", EDQUOT: "EDQUOT", EFBIG: "EFBIG", EMFILE: "EMFILE", ENFILE: "ENFILE",
        ENOMEM: "ENOMEM", EACCES: "EACCES", EPERM: "EPERM", EROFS: "EROFS", ENOENT: "ENOENT", ELOOP: "ELOOP",
        ENOTDIR: "ENOTDIR", EISDIR: "EISDIR", EBADF: "EBADF", EINVAL: "EINVAL", EAGAIN: "EAGAIN", EEXIST: "EEXIST",
        ENAMETOOLONG: "ENAMETOOLONG", EXDEV: "EXDEV", ESTALE: "ESTALE", ENXIO: "ENXIO", ENODEV: "ENODEV",
    ]

    /// `code`'s name; `unknown` when there is none.
    static func of(_ code: Int32?) -> String {
        guard let code else { return "unknown" }
        return names[code] ?? "errno_\(code)"
    }
}
