import Foundation

/// Loads and validates a config file: YAML syntax, keys, types, references, URLs, environment.
public enum ConfigLoader {
    /// Largest config file accepted: far above any real config, far below what could hurt.
    public static let maxFileBytes = 8 << 20

    /// Parses `text` as if read from `path`; every problem comes back at once.
    public static func load(text: String, path: String, environment: [String: String]) -> Result<HeraldConfig, ConfigErrors> {
        if text.utf8.count > maxFileBytes { return .failure(tooLarge(path)) }
        let reader = ConfigReader(file: path, environment: environment)
        reader.source = text
        let root: YAMLNode
        do {
            guard let document = try YAMLParser.parse(text) else {
                return .failure(ConfigErrors([ConfigDiagnostic(file: path, mark: nil, message: "the config is empty")]))
            }
            root = document
        } catch {
            return .failure(ConfigErrors([ConfigDiagnostic(file: path, mark: error.mark, message: error.message)]))
        }
        guard let config = ConfigDecoder(reader: reader).decode(root), reader.diagnostics.isEmpty else {
            // A message may quote a value that came from a secret (a malformed ${WEBHOOK_URL}).
            let redactor = Redactor(secrets: reader.secrets)
            return .failure(ConfigErrors(reader.diagnostics.map { $0.redacted(by: redactor) }))
        }
        SecretRegistry.shared.register(config)
        return .success(config)
    }

    /// Reads and loads the file at `path`.
    public static func load(path: String, environment: [String: String] = ProcessInfo.processInfo.environment) -> Result<HeraldConfig, ConfigErrors> {
        read(path: path).flatMap { load(text: $0, path: path, environment: environment) }
    }

    /// The config file's text, or why it cannot be read.
    public static func read(path: String) -> Result<String, ConfigErrors> {
        do {
            // Checked before reading, so a wrong path to a huge file is refused, not loaded.
            if let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int, size > maxFileBytes {
                return .failure(tooLarge(path))
            }
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            guard let text = String(data: data, encoding: .utf8) else {
                return .failure(ConfigErrors([ConfigDiagnostic(file: path, mark: nil, message: "the config is not valid UTF-8")]))
            }
            return .success(text)
        } catch {
            let reason = (error as NSError).localizedFailureReason ?? "cannot read the file"
            let message = FileManager.default.fileExists(atPath: path) ? "cannot read the config: \(reason)" : "no such config file"
            return .failure(ConfigErrors([ConfigDiagnostic(file: path, mark: nil, message: message)]))
        }
    }

    private static func tooLarge(_ path: String) -> ConfigErrors {
        ConfigErrors([ConfigDiagnostic(file: path, mark: nil, message: "the config is larger than \(maxFileBytes >> 20)MiB")])
    }
}
