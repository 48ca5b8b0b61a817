import Foundation
import HeraldCore

/// A fresh state folder (removed by the caller) and a config with one source, endpoint `a` on a
/// closed loopback port and route `r` taking everything: for tests that assemble the runtime's
/// parts (journal, dispatcher, ingestor) themselves.
func scratchState(_ name: String, source: String = "{ stdin: true }") throws -> (URL, HeraldConfig) {
    let state = FileManager.default.temporaryDirectory.appendingPathComponent("herald-\(name)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: state, withIntermediateDirectories: true)
    let config = try ConfigLoader.load(text: """
        version: 1
        source: \(source)
        endpoints: { a: { url: "http://127.0.0.1:9/hooks" } }
        routes: [{ name: r, events: ["*"], to: a }]
        """, path: state.appendingPathComponent("config.yaml").path, environment: [:]).get()
    return (state, config)
}
