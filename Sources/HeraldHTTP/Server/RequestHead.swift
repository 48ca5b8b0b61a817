/// A parsed request line and header block, with the framing and connection decisions they imply.
struct RequestHead {
    enum BodyFraming: Equatable {
        case none
        case length(Int)
        case chunked
        case invalid
    }

    var method: String
    var target: String
    var version: String
    private var headers: [HTTPHeader]
    var keepAlive: Bool
    var expectsContinue: Bool
    var bodyFraming: BodyFraming

    mutating func takeHeaders() -> [HTTPHeader] {
        defer { headers = [] }
        return headers
    }

    /// `nil` when the request line or a header line is malformed.
    static func parse(_ head: [UInt8]) -> RequestHead? {
        var lines: [ArraySlice<UInt8>] = []
        var lineStart = 0
        for index in head.indices where head[index] == 0x0A {
            var lineEnd = index
            if lineEnd > lineStart && head[lineEnd - 1] == 0x0D { lineEnd -= 1 }
            lines.append(head[lineStart..<lineEnd])
            lineStart = index + 1
        }
        lines.append(head[lineStart..<head.count].last == 0x0D ? head[lineStart..<(head.count - 1)] : head[lineStart...])
        guard let requestLine = lines.first else { return nil }

        let parts = requestLine.split(separator: 0x20, omittingEmptySubsequences: true)
        guard parts.count == 3 else { return nil }
        let method = String(decoding: parts[0], as: UTF8.self)
        let target = String(decoding: parts[1], as: UTF8.self)
        let version = String(decoding: parts[2], as: UTF8.self)
        guard version == "HTTP/1.1" || version == "HTTP/1.0" else { return nil }

        var headers: [HTTPHeader] = []
        headers.reserveCapacity(lines.count - 1)
        var connectionClose = false
        var connectionKeepAlive = false
        var expectsContinue = false
        var contentLength: Int?
        var framing = BodyFraming.none
        var sawTransferEncoding = false
        for line in lines.dropFirst() {
            if line.isEmpty { continue }
            if line.first == 0x20 || line.first == 0x09 {
                guard !headers.isEmpty else { return nil }
                headers[headers.count - 1].value += " " + String(decoding: line, as: UTF8.self).trimmingSpaces()
                continue
            }
            guard let colon = line.firstIndex(of: 0x3A), colon > line.startIndex else { return nil }
            let nameBytes = line[line.startIndex..<colon]
            if nameBytes.contains(where: { $0 == 0x20 || $0 == 0x09 }) { return nil }
            var valueStart = colon + 1
            var valueEnd = line.endIndex
            while valueStart < valueEnd && (line[valueStart] == 0x20 || line[valueStart] == 0x09) { valueStart += 1 }
            while valueEnd > valueStart && (line[valueEnd - 1] == 0x20 || line[valueEnd - 1] == 0x09) { valueEnd -= 1 }
            let name = String(decoding: nameBytes, as: UTF8.self)
            let value = String(decoding: line[valueStart..<valueEnd], as: UTF8.self)
            headers.append(HTTPHeader(name, value))

            switch nameBytes.count {
            case 10 where name.asciiCaseInsensitiveEquals("connection"):
                for token in value.lowercased().split(separator: ",") {
                    let token = token.trimmingCharacters(of: " \t")
                    if token == "close" { connectionClose = true }
                    if token == "keep-alive" { connectionKeepAlive = true }
                }
            case 6 where name.asciiCaseInsensitiveEquals("expect"):
                expectsContinue = value.lowercased() == "100-continue"
            case 14 where name.asciiCaseInsensitiveEquals("content-length"):
                guard !value.isEmpty, value.utf8.count <= 18, value.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
                    let length = Int(value), contentLength == nil || contentLength == length
                else {
                    framing = .invalid
                    continue
                }
                contentLength = length
            case 17 where name.asciiCaseInsensitiveEquals("transfer-encoding"):
                sawTransferEncoding = true
                let last = value.lowercased().split(separator: ",").last?.trimmingCharacters(of: " \t")
                framing = last == "chunked" ? .chunked : .invalid
            default:
                break
            }
        }
        if !sawTransferEncoding && framing != .invalid, let contentLength, contentLength > 0 {
            framing = .length(contentLength)
        }
        let isHTTP11 = version == "HTTP/1.1"
        return RequestHead(
            method: method, target: target, version: version, headers: headers,
            keepAlive: isHTTP11 ? !connectionClose : connectionKeepAlive && !connectionClose,
            expectsContinue: isHTTP11 && expectsContinue,
            // A request with both framings is a smuggling risk: answer it, then close.
            bodyFraming: framing
        ).closing(if: sawTransferEncoding && contentLength != nil)
    }

    private func closing(if condition: Bool) -> RequestHead {
        var copy = self
        if condition { copy.keepAlive = false }
        return copy
    }
}

extension Substring {
    func trimmingCharacters(of set: String) -> String {
        var slice = self
        while let first = slice.first, set.contains(first) { slice.removeFirst() }
        while let last = slice.last, set.contains(last) { slice.removeLast() }
        return String(slice)
    }
}
