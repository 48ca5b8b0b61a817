/// A request body as `herald explain` prints it: its text line by line, and for form bodies
/// also each decoded `name = value` pair, since percent-encoding is hard to read.
public enum BodyPreview {
    public static func lines(of request: DeliveryRequest) -> [String] {
        let text = String(decoding: request.body, as: UTF8.self)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if request.header("content-type")?.hasPrefix("application/x-www-form-urlencoded") == true, !request.body.isEmpty {
            lines.append("")
            lines.append("decoded:")
            for pair in text.split(separator: "&") {
                let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                lines.append("  " + decode(parts[0]) + " = " + (parts.count > 1 ? decode(parts[1]) : ""))
            }
        }
        return lines
    }

    private static func decode(_ text: Substring) -> String {
        var bytes: [UInt8] = []
        var utf8 = text.utf8[...]
        while let byte = utf8.popFirst() {
            if byte == UInt8(ascii: "+") {
                bytes.append(0x20)
            } else if byte == UInt8(ascii: "%"), utf8.count >= 2,
                let value = UInt8(String(decoding: utf8.prefix(2), as: UTF8.self), radix: 16) {
                bytes.append(value)
                utf8 = utf8.dropFirst(2)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
