import HeraldHTTP

/// A destination: where deliveries go and how they are sent. Keys set under `defaults` fill in
/// whatever an endpoint leaves out.
public struct EndpointConfig: Sendable, Equatable {
    public var name: String
    public var url: EndpointURL
    public var enabled: Bool
    public var headers: [HTTPHeader]
    public var format: PayloadFormat
    public var signing: SigningConfig?
    public var timeout: Duration
    /// Requests in flight at once to this endpoint (with `adaptiveConcurrency`, the most).
    public var concurrency: Int
    /// `concurrency: { max: N, adaptive: true }`: the limit moves between 1 and `concurrency` with
    /// how the endpoint copes (``AdaptiveConcurrency``).
    public var adaptiveConcurrency = false
    public var rateLimit: Rate?
    public var breaker: BreakerConfig
    public var retry: RetryConfig
    public var ordering: OrderingConfig?
    public var allowInsecure: Bool
    /// CA bundle, client certificate and verification for https (`tls:`).
    public var tls = TLSOptions()
    /// `http://`, `https://` or `socks5://` proxy URL; nil connects directly.
    public var proxy: String? = nil
    /// Settings of the format (`xml:`, `cloudevents:`).
    public var formatOptions = FormatOptions()
    /// The largest body rendering may build for this endpoint (`max_body_bytes`); past it the
    /// delivery is dead-lettered (`body_too_large`) instead of being built.
    public var maxBodyBytes = EndpointConfig.defaultMaxBodyBytes
    /// The request method (`method:`); every one of them carries the body.
    public var method = DeliveryMethod.post
    /// Where events carry their W3C trace context (`trace_field`), sent as `traceparent` and `tracestate`.
    public var traceField: FieldPath?
    /// The `url` when it holds `{{path}}` placeholders (`url` then holds it with each one as `x`).
    public var urlTemplate: URLTemplate?
    /// Headers whose values hold placeholders.
    public var headerTemplates: [HeaderTemplate] = []
    /// Globs the host of a templated url must match (`allowed_hosts`).
    public var allowedHosts: [EventPattern] = []
    /// Several deliveries per request (`batch:`); nil sends one request per delivery.
    public var batch: BatchConfig?
    /// OAuth2 client credentials: a token fetched and sent as `Authorization: Bearer …`.
    public var oauth2: OAuth2Config?
    /// Whether a templated host may resolve to a private, loopback, link-local or metadata address.
    public var allowPrivate = false
    /// An endpoint that has failed continuously this long (no success in between, across
    /// restarts) is paused like one that answered 410 Gone (`disable_after`); nil never.
    public var disableAfter: Duration?

    /// Whether the url or a header takes values from the event.
    public var isTemplated: Bool { urlTemplate != nil || !headerTemplates.isEmpty }

    /// The fields templated url and headers take values from.
    public var templateFields: [FieldPath] {
        var fields = urlTemplate?.text.fields ?? []
        for template in headerTemplates { fields += template.value.fields.filter { !fields.contains($0) } }
        return fields
    }

    /// Whether connections must refuse private addresses: the event chooses the host, and the
    /// endpoint did not say `allow_private: true`.
    public var refusesPrivateAddresses: Bool { (urlTemplate?.templatesHost ?? false) && !allowPrivate }

    /// 1 MiB: far above what webhook receivers accept in practice, far below what hurts Herald.
    public static let defaultMaxBodyBytes = 1 << 20
    /// What `max_body_bytes` may be set to: at least 1 KiB, at most 256 MiB (well inside a journal record).
    public static let maxBodyBytesRange = (1 << 10)...(256 << 20)
}

/// A header whose value holds `{{path}}` placeholders, rendered per delivery.
public struct HeaderTemplate: Sendable, Equatable {
    public var name: String
    public var value: PlaceholderText
}

/// The methods a delivery may use: each sends the payload as its body.
public enum DeliveryMethod: String, Sendable, CaseIterable {
    case post = "POST", put = "PUT", patch = "PATCH", delete = "DELETE"
}

/// The body format an endpoint receives.
public enum PayloadFormat: String, Sendable, CaseIterable {
    case json, form, xml, cloudevents, slack, teams, mattermost, discord
}

/// When failed deliveries are tried again, and for how long.
public struct RetryConfig: Sendable, Equatable {
    /// Delay before each retry; its length is the number of retries.
    public var schedule: [Duration]
    /// A delivery older than this goes to the dead letters instead of being retried.
    public var maxAge: Duration
    /// The endpoint's `success_on`, `retry_on` and `dead_on`.
    public var outcomes = OutcomeRules()

    public init(schedule: [Duration], maxAge: Duration) {
        self.schedule = schedule
        self.maxAge = maxAge
    }

    /// Standard Webhooks' schedule.
    public static let standard = RetryConfig(
        schedule: [.seconds(5), .seconds(300), .seconds(1800), .seconds(7200), .seconds(18_000), .seconds(36_000),
                   .seconds(50_400), .seconds(72_000), .seconds(86_400)],
        maxAge: .seconds(3 * 86_400)
    )
}

/// Per-key ordering of an endpoint's deliveries: those whose events share the value at `key` go
/// one at a time, in the order they were read.
public struct OrderingConfig: Sendable, Equatable {
    public var key: FieldPath

    /// The ordering key of `event`: a string, number or boolean at `key` (a field, or metadata such
    /// as `$key`), as text. An event without the field (or with null, an object or an array there)
    /// has no key and waits for no one.
    public func value(in event: Event) -> String? {
        event[key]?.keyText
    }
}

/// When an endpoint's circuit opens (`failures` consecutive retryable failures; 0 turns the
/// breaker off) and how long it stays open before one request probes it.
public struct BreakerConfig: Sendable, Equatable {
    public var failures: Int
    public var cooldown: Duration

    public init(failures: Int, cooldown: Duration) {
        self.failures = failures
        self.cooldown = cooldown
    }

    public static let standard = BreakerConfig(failures: 10, cooldown: .seconds(30))
}

extension JSONValue {
    /// A string, number or boolean as the text of a key; nil for null, objects and arrays.
    var keyText: String? {
        switch self {
        case .string(let text): text
        case .number(let number): number.text
        case .bool(let flag): flag ? "true" : "false"
        case .null, .array, .object: nil
        }
    }
}
