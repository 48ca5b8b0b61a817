/// One header field, in the order it was set or received; names compare case-insensitively.
public struct HTTPHeader: Sendable, Hashable {
    public var name: String
    public var value: String

    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

extension Array where Element == HTTPHeader {
    /// The first value of the header called `name` (ASCII case-insensitive), if any.
    public func first(named name: String) -> String? {
        first { $0.name.asciiCaseInsensitiveEquals(name) }?.value
    }

    /// Every value of the header called `name`, in order.
    public func all(named name: String) -> [String] {
        filter { $0.name.asciiCaseInsensitiveEquals(name) }.map(\.value)
    }
}

/// Whether header-name bytes equal a lowercase name, ignoring ASCII case: for names still in a
/// buffer (response header lines, request lines being built), where no String is made.
func headerName(_ name: some Collection<UInt8>, equalsLowercase lowercase: some Collection<UInt8>) -> Bool {
    guard name.count == lowercase.count else { return false }
    for (byte, wanted) in zip(name, lowercase) where (byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte) != wanted { return false }
    return true
}

extension String {
    func asciiCaseInsensitiveEquals(_ other: String) -> Bool {
        // Different lengths never match (the common case when scanning header names; O(1) here).
        guard utf8.count == other.utf8.count else { return false }
        var lhs = utf8.makeIterator()
        var rhs = other.utf8.makeIterator()
        while true {
            switch (lhs.next(), rhs.next()) {
            case (nil, nil):
                return true
            case (let a?, let b?):
                if a == b { continue }
                if asciiLower(a) != asciiLower(b) { return false }
            default:
                return false
            }
        }
    }
}

@inline(__always)
func asciiLower(_ byte: UInt8) -> UInt8 {
    byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte
}
