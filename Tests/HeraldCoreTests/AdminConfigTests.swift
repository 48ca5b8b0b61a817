import Foundation
import HeraldCore
import Testing

@Suite("admin config: token and the non-loopback warning")
struct AdminConfigTests {
    func config(_ admin: String, environment: [String: String] = [:], path: String = "/etc/herald/config.yaml") -> Result<HeraldConfig, ConfigErrors> {
        ConfigLoader.load(text: ConfigLoaderTests.minimal + "\nadmin: \(admin)\n", path: path, environment: environment)
    }

    func messages(_ result: Result<HeraldConfig, ConfigErrors>) -> [String] {
        guard case .failure(let failure) = result else { return [] }
        return failure.diagnostics.map(\.description)
    }

    @Test("admin.token from the environment is the token and a secret")
    func tokenFromEnvironment() throws {
        let loaded = try config(#"{ listen: "0.0.0.0:9901", token: "${ADMIN_TOKEN}" }"#, environment: ["ADMIN_TOKEN": "s3cret-t0ken"]).get()
        #expect(loaded.admin?.token == "s3cret-t0ken")
        #expect(loaded.secrets.contains("s3cret-t0ken"))
        #expect(ConfigWarnings.list(for: loaded).isEmpty)
    }

    @Test("admin.token_file is read and trimmed, relative to the config, and a secret")
    func tokenFile() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("herald-admin-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try "from-a-file\n".write(to: folder.appendingPathComponent("admin-token"), atomically: true, encoding: .utf8)
        let loaded = try config("{ listen: 0.0.0.0:9901, token_file: admin-token }", path: folder.appendingPathComponent("config.yaml").path).get()
        #expect(loaded.admin?.token == "from-a-file")
        #expect(loaded.secrets.contains("from-a-file"))
    }

    @Test("bad tokens are located errors", arguments: [
        (#"{ listen: ":9901", token: a, token_file: /x }"#, "'admin' takes either 'token' or 'token_file', not both"),
        (#"{ listen: ":9901", token: "" }"#, "the admin token is empty"),
        (#"{ listen: ":9901", token: "two words" }"#, "the admin token must be visible ASCII without spaces"),
        (#"{ listen: ":9901", token_file: /nonexistent/herald-token }"#, "cannot read admin.token_file '/nonexistent/herald-token'"),
        (#"{ listen: ":9901", tokn: x }"#, "unknown key 'tokn' in 'admin'"),
    ])
    func badTokens(admin: String, expected: String) {
        let found = messages(config(admin))
        #expect(found.contains { $0.contains(expected) && $0.contains("config.yaml:") }, "\(found)")
    }

    @Test("a non-loopback listener without a token is warned about; loopback or a token is not", arguments: [
        ("0.0.0.0:9901", true), ("[::]:9901", true), ("10.1.2.3:9901", true), ("herald.internal:9901", true),
        ("127.0.0.1:9901", false), ("127.9.9.9:9901", false), ("[::1]:9901", false), ("localhost:9901", false), (":9901", false),
    ])
    func nonLoopbackWarning(listen: String, warned: Bool) throws {
        let open = try config("{ listen: \"\(listen)\" }").get()
        let warning = ConfigWarnings.list(for: open).first { $0.hasPrefix("admin.listen") }
        #expect((warning != nil) == warned, "\(listen): \(warning ?? "no warning")")
        if warned { #expect(warning?.contains("has no token") == true) }
        let guarded = try config("{ listen: \"\(listen)\", token: abcdefgh }").get()
        #expect(!ConfigWarnings.list(for: guarded).contains { $0.hasPrefix("admin.listen") })
    }
}
