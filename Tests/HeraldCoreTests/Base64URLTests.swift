import Foundation
import Testing

@testable import HeraldCore

@Suite("base64url")
struct Base64URLTests {
    @Test("matches Foundation's base64 with the URL alphabet", arguments: [[], [0], [0xFF, 0xFE], [1, 2, 3], Array(0...255)] as [[UInt8]])
    func matchesFoundation(bytes: [UInt8]) {
        let expected = Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
        #expect(Base64URL.encode(bytes, length: expected.count) == expected)
    }
}
