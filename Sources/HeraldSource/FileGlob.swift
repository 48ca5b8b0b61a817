import Glibc

/// A file source's pattern: a directory and a file-name pattern (`*`, `?`, `[…]` as in the
/// shell, matched by `fnmatch(3)`; a leading dot must be matched by one). Wildcards in the
/// directory part are not supported: the directory is watched with inotify, and one directory
/// keeps discovery cheap and predictable.
public struct FileGlob: Sendable, Equatable {
    public let pattern: String
    public let directory: String
    public let namePattern: String

    public init(_ pattern: String) {
        self.pattern = pattern
        if let slash = pattern.lastIndex(of: "/") {
            let directory = String(pattern[..<slash])
            self.directory = directory.isEmpty ? "/" : directory
            namePattern = String(pattern[pattern.index(after: slash)...])
        } else {
            directory = "."
            namePattern = pattern
        }
    }

    /// Whether `text` holds a glob wildcard.
    public static func hasWildcards(_ text: some StringProtocol) -> Bool {
        text.contains { $0 == "*" || $0 == "?" || $0 == "[" }
    }

    /// Whether the directory part is free of wildcards (the only form supported).
    public var isSupported: Bool { !Self.hasWildcards(directory) && !namePattern.isEmpty }

    /// Whether a file name (no directory) matches.
    public func matches(name: String) -> Bool {
        fnmatch(namePattern, name, FNM_PERIOD) == 0
    }

    /// The directory's regular files whose names match, as full paths with their identities,
    /// sorted; empty when the directory cannot be read (it may appear later).
    public func matchingFiles() -> [(path: String, identity: FileIdentity)] {
        guard let dir = opendir(directory) else { return [] }
        defer { closedir(dir) }
        var found: [(path: String, identity: FileIdentity)] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) { pointer in
                pointer.withMemoryRebound(to: CChar.self, capacity: Int(NAME_MAX) + 1) { String(cString: $0) }
            }
            guard name != ".", name != "..", matches(name: name) else { continue }
            let path = directory == "/" ? "/" + name : directory + "/" + name
            guard let (identity, _) = FileIdentity.current(at: path) else { continue }
            found.append((path, identity))
        }
        return found.sorted { $0.path < $1.path }
    }
}
