import Glibc

/// The sidecar's `state_dir`, made private when Herald creates it.
public enum StateDirectory {
    /// Creates `path` and any missing parents, each 0700 whatever the umask. A directory that
    /// already exists keeps its mode: it may be a mount point or a folder set up with a group on
    /// purpose, and everything Herald keeps in it is 0600/0700 itself. `path` may be a symbolic
    /// link to a directory (links are refused only inside it).
    public static func create(_ path: String) throws(JournalError) {
        var info = stat()
        if stat(path, &info) == 0 {
            guard (info.st_mode & S_IFMT) == S_IFDIR else {
                throw JournalError(.io, "state_dir \(path) exists and is not a directory", errno: ENOTDIR)
            }
            return
        }
        guard Glibc.errno == ENOENT else { throw FileIO.error("stat", path) }
        var parent = path
        while parent.count > 1, parent.hasSuffix("/") { parent.removeLast() }
        if let slash = parent.lastIndex(of: "/") {
            parent = String(parent[..<slash])
            if !parent.isEmpty { try create(parent) }
        }
        if mkdir(path, FileIO.directoryMode) != 0 {
            if Glibc.errno == EEXIST { return }
            throw FileIO.error("mkdir", path)
        }
        if chmod(path, FileIO.directoryMode) != 0 { throw FileIO.error("chmod", path) }
    }
}
