/// Serialises a ``ServerResponse`` as HTTP/1.1 bytes; framing headers are always the server's own.
enum ResponseWriter {
    static func serialize(_ response: ServerResponse, keepAlive: Bool, headOnly: Bool, into output: inout [UInt8]) {
        let status = response.status
        output.append(contentsOf: "HTTP/1.1 \(status) \(ServerResponse.reasonPhrase(status))\r\n".utf8)
        for header in response.headers {
            let name = header.name
            if name.asciiCaseInsensitiveEquals("content-length") || name.asciiCaseInsensitiveEquals("connection")
                || name.asciiCaseInsensitiveEquals("transfer-encoding")
            {
                continue
            }
            output.append(contentsOf: name.utf8)
            output.append(0x3A)
            output.append(0x20)
            output.append(contentsOf: header.value.utf8)
            output.append(0x0D)
            output.append(0x0A)
        }
        let bodyAllowed = !(100..<200).contains(status) && status != 204 && status != 304
        if bodyAllowed {
            output.append(contentsOf: "Content-Length: \(response.body.count)\r\n".utf8)
        }
        if !keepAlive {
            output.append(contentsOf: "Connection: close\r\n".utf8)
        }
        output.append(0x0D)
        output.append(0x0A)
        if bodyAllowed && !headOnly {
            output.append(contentsOf: response.body)
        }
    }
}
