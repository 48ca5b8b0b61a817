import HeraldCore

/// One input is the text of a config file. Loading must give a config or located diagnostics for
/// any text: a trap, a hang (libFuzzer's -timeout) or runaway memory (-rss_limit_mb) is a finding.
/// The environment defines a few variables so `${VAR}` expansion takes both of its paths.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzConfig(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    switch ConfigLoader.load(text: text, path: "fuzz.yaml", environment: environment) {
    case .success:
        break
    case .failure(let errors):
        precondition(!errors.diagnostics.isEmpty, "a failed load without a diagnostic")
        for diagnostic in errors.diagnostics {
            precondition(!diagnostic.message.isEmpty, "a diagnostic without a message")
        }
    }
    return 0
}

private let environment = [
    "WEBHOOK_URL": "https://hooks.example.com/in",
    "TOKEN": "tok-123",
    "EMPTY": "",
    "HOME": "/nonexistent",
]
