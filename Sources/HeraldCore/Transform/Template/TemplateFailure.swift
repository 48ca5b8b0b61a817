/// Messages for templates that cannot render.
enum TemplateFailure {
    static func missingField(_ path: String) -> String {
        "the template names '\(path)', which this event does not have (strict: true)"
    }
}
