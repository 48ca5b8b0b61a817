import Glibc

/// The files of a delivery log directory: `deliveries.jsonl` (being written), then
/// `deliveries.1.jsonl` (the previous one) up to `deliveries.<keep>.jsonl` (the oldest).
/// Rotation renames, so a file keeps its inode while it ages; cursors rely on that.
enum DeliveryLogFiles {
    static let current = "deliveries.jsonl"

    /// The name of the file `age` rotations old (0 is the current file).
    static func name(age: Int) -> String {
        age == 0 ? current : "deliveries.\(age).jsonl"
    }

    /// The age encoded in a file name, or nil for names that are not log files.
    static func age(of name: String) -> Int? {
        if name == current { return 0 }
        guard name.hasPrefix("deliveries."), name.hasSuffix(".jsonl") else { return nil }
        let middle = name.dropFirst("deliveries.".count).dropLast(".jsonl".count)
        guard let age = Int(middle), age > 0, String(age) == middle else { return nil }
        return age
    }

    /// The ages present in `directory`, youngest first; empty when the directory does not exist.
    static func ages(in directory: String) throws(JournalError) -> [Int] {
        var info = stat()
        guard stat(directory, &info) == 0 else {
            if Glibc.errno == ENOENT { return [] }
            throw FileIO.error("stat", directory)
        }
        return try FileIO.list(directory).compactMap(age(of:)).sorted()
    }

    /// Shifts every file one age older, dropping those that would pass `keep`; the current file
    /// becomes `deliveries.1.jsonl` (or is deleted when `keep` is 0).
    static func rotate(in directory: String, keep: Int) throws(JournalError) {
        for age in try ages(in: directory).reversed() {
            let path = "\(directory)/\(name(age: age))"
            if age >= keep {
                try FileIO.unlink(path)
            } else if Glibc.rename(path, "\(directory)/\(name(age: age + 1))") != 0 {
                throw FileIO.error("rename", path)
            }
        }
    }
}
