/// Which names in the source file's directory can be its rotated names. Rotation is followed by
/// identity, not by name; this only keeps other files of the directory out (another program's
/// `app-error.log` beside `app.log`, an editor's `events.jsonl.swp`).
///
/// A rotated name is the source's name with a suffix (`events.jsonl.1`, `events.jsonl-20261201`),
/// or with a part inserted after its stem, the name up to its first dot (`events-2026-12-01.jsonl`,
/// `events.1.jsonl`); the added part holds a digit, as numbered and dated names always do.
enum RotatedName {
    static func matches(_ candidate: String, source name: String) -> Bool {
        guard candidate != name, !candidate.hasPrefix(".") else { return false }
        if candidate.hasPrefix(name) {
            return candidate.dropFirst(name.count).contains(where: \.isNumber)
        }
        let stem = name.prefix { $0 != "." }
        let rest = name.dropFirst(stem.count)
        guard !stem.isEmpty, candidate.count > name.count, candidate.hasPrefix(stem), candidate.hasSuffix(rest) else {
            return false
        }
        let inserted = candidate.dropFirst(stem.count).dropLast(rest.count)
        guard let separator = inserted.first, separator == "-" || separator == "_" || separator == "." else { return false }
        return inserted.contains(where: \.isNumber)
    }
}
