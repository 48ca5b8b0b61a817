import CCurl

/// A request's header lines as a `curl_slist` that Herald owns: the lines in one byte buffer, the
/// list nodes in one array, both kept by an easy handle and refilled for each of its transfers.
///
/// `curl_slist_append` costs two allocations per header and `curl_slist_free_all` two frees, for
/// every request; libcurl only reads the list it is given, so it need not have built it. Valid
/// until the next ``removeAll()``: the handle's transfer must be finished before it is refilled.
final class CurlHeaderList {
    private var bytes: UnsafeMutablePointer<CChar>
    private var byteCapacity: Int
    private var used = 0
    /// Where each line starts in `bytes` (the buffer may move while lines are added).
    private var starts: [Int] = []
    private var nodes: UnsafeMutablePointer<curl_slist>
    private var nodeCapacity: Int

    init() {
        byteCapacity = 512
        bytes = .allocate(capacity: byteCapacity)
        nodeCapacity = 16
        nodes = .allocate(capacity: nodeCapacity)
        starts.reserveCapacity(nodeCapacity)
    }

    deinit {
        bytes.deallocate()
        nodes.deallocate()
    }

    /// A `Content-Type` line was added (so libcurl's form-urlencoded default must not be).
    private(set) var hasContentType = false

    func removeAll() {
        used = 0
        hasContentType = false
        starts.removeAll(keepingCapacity: true)
    }

    private func reserve(_ extra: Int) {
        guard used + extra > byteCapacity else { return }
        var capacity = byteCapacity * 2
        while capacity < used + extra { capacity *= 2 }
        let grown = UnsafeMutablePointer<CChar>.allocate(capacity: capacity)
        grown.update(from: bytes, count: used)
        bytes.deallocate()
        bytes = grown
        byteCapacity = capacity
    }

    private func copy(_ source: UnsafeBufferPointer<UInt8>) {
        guard let base = source.baseAddress, !source.isEmpty else { return }
        UnsafeMutableRawPointer(bytes + used).copyMemory(from: base, byteCount: source.count)
        used += source.count
    }

    private func byte(_ value: UInt8) {
        bytes[used] = CChar(bitPattern: value)
        used += 1
    }

    /// Adds `Name: value`, or `Name;` for an empty value (libcurl drops `Name:` and sends `Name;`
    /// as an empty header). Returns false, adding nothing, when the name is not a token or the
    /// value holds CR, LF or NUL: such a header would split the request.
    func append(name: String, value: String) -> Bool {
        var name = name
        var value = value
        return name.withUTF8 { name in value.withUTF8 { value in append(name: name, value: value) } }
    }

    /// Adds a line given whole (`"Expect:"`), without checks.
    func append(line: StaticString) {
        line.withUTF8Buffer { append(raw: $0) }
    }

    private func append(raw line: UnsafeBufferPointer<UInt8>) {
        reserve(line.count + 1)
        starts.append(used)
        copy(line)
        byte(0)
    }

    private func append(name: UnsafeBufferPointer<UInt8>, value: UnsafeBufferPointer<UInt8>) -> Bool {
        guard !name.isEmpty, !name.contains(where: { $0 <= 0x20 || $0 == 0x3A || $0 >= 0x7F }),
            !value.contains(where: { $0 == 0x0D || $0 == 0x0A || $0 == 0 })
        else { return false }
        if !hasContentType, Self.isContentType(name) { hasContentType = true }
        reserve(name.count + value.count + 3)
        starts.append(used)
        copy(name)
        if value.isEmpty {
            byte(0x3B)
        } else {
            byte(0x3A)
            byte(0x20)
            copy(value)
        }
        byte(0)
        return true
    }

    private static func isContentType(_ name: UnsafeBufferPointer<UInt8>) -> Bool {
        let contentType: StaticString = "content-type"
        return headerName(name, equalsLowercase: UnsafeBufferPointer(start: contentType.utf8Start, count: contentType.utf8CodeUnitCount))
    }

    /// The list's first node, linked now that the buffer no longer moves; nil when empty.
    func link() -> UnsafeMutablePointer<curl_slist>? {
        guard !starts.isEmpty else { return nil }
        if starts.count > nodeCapacity {
            nodes.deallocate()
            nodeCapacity = max(starts.count, nodeCapacity * 2)
            nodes = .allocate(capacity: nodeCapacity)
        }
        for (index, start) in starts.enumerated() {
            let next = index + 1 < starts.count ? nodes + index + 1 : nil
            (nodes + index).initialize(to: curl_slist(data: bytes + start, next: next))
        }
        return nodes
    }
}
