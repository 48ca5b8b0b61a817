import CPCRE2

/// A regular expression of a `matches` test: PCRE2 syntax (Perl's), compiled once when the
/// config is loaded and JIT-compiled to machine code. Not Swift's `Regex`: that backtracks
/// without any bound, so a field a sender controls could make one match take minutes, and it
/// cost more than the rest of routing. Here a match that passes PCRE2's limits (a million
/// backtracking steps, or the JIT's stack) stops and counts as no match.
/// Equal when written the same.
public struct FieldPattern: Sendable, Equatable {
    public let source: String
    private let compiled: Compiled

    /// The largest number of backtracking steps one match may take.
    public static let matchLimit: UInt32 = 1_000_000

    /// A reason a pattern does not compile, with the offset in the pattern where PCRE2 stopped.
    public struct CompileError: Error, CustomStringConvertible {
        public var message: String
        public var offset: Int
        public var description: String { "\(message) (at offset \(offset) of the pattern)" }
    }

    public init(_ source: String) throws(CompileError) {
        self.source = source
        compiled = try Compiled(source)
    }

    /// Whether the pattern matches somewhere in `text` (within the limits).
    public func matches(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { compiled.matches($0) }
    }

    public static func == (lhs: FieldPattern, rhs: FieldPattern) -> Bool { lhs.source == rhs.source }

    /// The compiled code and its match context. `@unchecked Sendable`: PCRE2's compiled code and a
    /// match context are read-only once made and may be shared by threads; each match brings its
    /// own match data.
    private final class Compiled: @unchecked Sendable {
        let code: OpaquePointer
        let context: OpaquePointer
        let jit: Bool

        init(_ source: String) throws(CompileError) {
            var errorCode: Int32 = 0
            var errorOffset = 0
            let utf8 = Array(source.utf8)
            guard let code = utf8.withUnsafeBufferPointer({
                pcre2_compile_8($0.baseAddress, $0.count, PCRE2_UTF | PCRE2_NO_UTF_CHECK, &errorCode, &errorOffset, nil)
            }) else {
                var buffer = [UInt8](repeating: 0, count: 256)
                let length = pcre2_get_error_message_8(errorCode, &buffer, buffer.count)
                throw CompileError(message: String(decoding: buffer.prefix(max(0, Int(length))), as: UTF8.self), offset: errorOffset)
            }
            self.code = code
            jit = pcre2_jit_compile_8(code, UInt32(PCRE2_JIT_COMPLETE)) == 0
            context = pcre2_match_context_create_8(nil)
            pcre2_set_match_limit_8(context, FieldPattern.matchLimit)
            pcre2_set_depth_limit_8(context, 10_000)
        }

        deinit {
            pcre2_match_context_free_8(context)
            pcre2_code_free_8(code)
        }

        func matches(_ subject: UnsafeBufferPointer<UInt8>) -> Bool {
            guard let base = subject.baseAddress else {
                let empty: [UInt8] = [0]
                return empty.withUnsafeBufferPointer { matches(UnsafeBufferPointer(rebasing: $0[0..<0]), at: $0.baseAddress!) }
            }
            return matches(subject, at: base)
        }

        private func matches(_ subject: UnsafeBufferPointer<UInt8>, at base: UnsafePointer<UInt8>) -> Bool {
            guard let data = pcre2_match_data_create_8(1, nil) else { return false }
            defer { pcre2_match_data_free_8(data) }
            // Swift strings are valid UTF-8: no check needed.
            let result = jit
                ? pcre2_jit_match_8(code, base, subject.count, 0, 0, data, context)
                : pcre2_match_8(code, base, subject.count, 0, UInt32(PCRE2_NO_UTF_CHECK), data, context)
            return result >= 0
        }
    }
}
