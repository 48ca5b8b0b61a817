import Foundation
import HeraldCore

/// Measures Herald's hot path without the network: decode + route (+ request rendering with
/// `--render`) over generated JSON lines of about 400 bytes. `--shaping transform|template|body`
/// instead sends every event through one route of that kind to a standard-webhooks-signed
/// endpoint (decode + route + transform + sign). `--filters` routes with 20 routes of nested
/// `any`/`not`/`matches` filters instead of the four plain ones. Run in release mode:
///   swift run -c release herald-bench [--lines 1000000] [--render | --shaping transform | --filters]
@main
struct Bench {
    static func main() throws {
        let arguments = CommandLine.arguments
        func value(_ flag: String) -> String? {
            arguments.firstIndex(of: flag).flatMap { arguments.indices.contains($0 + 1) ? arguments[$0 + 1] : nil }
        }
        let count = value("--lines").flatMap(Int.init) ?? 1_000_000
        let shaping = value("--shaping")
        let render = arguments.contains("--render") || shaping != nil
        let text = try shaping.map { name in
            guard let route = shapingRoutes[name] else { throw CocoaError(.featureUnsupported, userInfo: [NSLocalizedDescriptionKey: "unknown --shaping \(name)"]) }
            return shapingConfig + route
        } ?? (arguments.contains("--filters") ? filterConfig : benchConfig)
        let config = try ConfigLoader.load(text: text, path: "bench.yaml", environment: [:]).get()
        let router = Router(config: config)
        let decoder = EventDecoder(typeField: config.source.typeField, idField: config.source.idField, maxLineBytes: config.source.maxLineBytes)

        // The input goes to a file first and is streamed back in 1 MiB chunks, as a tail would,
        // so peak RSS reflects the pipeline rather than the input.
        let path = value("--file") ?? NSTemporaryDirectory() + "herald-bench-\(count).jsonl"
        if !FileManager.default.fileExists(atPath: path) {
            _ = FileManager.default.createFile(atPath: path, contents: Data(generate(count)))
        }
        guard let handle = FileHandle(forReadingAtPath: path) else { throw CocoaError(.fileNoSuchFile) }
        var totalBytes = 0
        var routed = 0, deliveries = 0, rejected = 0, bodyBytes = 0, lineNumber = 0
        var carry: [UInt8] = []
        let clock = ContinuousClock()
        let cpuStart = cpuSeconds()
        let start = clock.now
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            totalBytes += chunk.count
            carry.append(contentsOf: chunk)
            var lineStart = 0
            for index in carry.indices where carry[index] == 0x0A {
                lineNumber += 1
                let line = Array(carry[lineStart..<index])
                lineStart = index + 1
                switch decoder.decode(line, lineNumber: lineNumber) {
                case .failure: rejected += 1
                case .success(let event):
                    let matches = router.match(event)
                    if !matches.isEmpty { routed += 1 }
                    for match in matches {
                        deliveries += match.endpoints.count
                        guard render else { continue }
                        for endpoint in match.endpoints {
                            if let request = try? RequestRenderer.request(for: event, route: match.route, endpoint: endpoint, timestamp: 1_700_000_000) {
                                bodyBytes += request.body.count
                            }
                        }
                    }
                }
            }
            carry.removeFirst(lineStart)
        }
        let elapsed = clock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        print("lines: \(lineNumber) (avg \(totalBytes / max(lineNumber, 1)) bytes), routed: \(routed), deliveries: \(deliveries), rejected: \(rejected)\(render ? ", rendered bytes: \(bodyBytes)" : "")")
        let stage = shaping.map { " + \($0) + sign" } ?? (render ? " + render + sign" : "")
        print(String(format: "decode + route%@: %.2f s, %.0f lines/s, %.1f MB/s", stage, seconds, Double(count) / seconds, Double(totalBytes) / seconds / 1e6))
        // CPU time (user + system) gives the one-core rate even when other work shares the machine.
        let cpu = cpuSeconds() - cpuStart
        print(String(format: "cpu: %.2f s (user + system), %.0f lines per cpu-second", cpu, Double(count) / cpu))
        print("peak RSS: \(usage.ru_maxrss / 1024) MiB")
    }

    static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }

    /// Realistic mixed events: orders, shipments, users; 1 in 1000 lines is malformed.
    static func generate(_ count: Int) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(count * 420)
        let types = ["order.created", "order.paid", "shipment.delivered", "user.signed_up", "cart.updated", "payment.captured"]
        let currencies = ["EUR", "USD", "GBP"]
        for index in 0..<count {
            if index % 1000 == 999 {
                output.append(contentsOf: "{\"type\":\"broken\",\n".utf8.dropLast())
                output.append(0x0A)
                continue
            }
            let type = types[index % types.count]
            let line = """
                {"id":"evt_\(index)","type":"\(type)","created_at":"2026-11-25T09:00:\(index % 60)Z","data":{"order_id":"A-\(100000 + index)",\
                "currency":"\(currencies[index % 3])","total_cents":\(index % 10000),"customer":{"id":"c-\(index % 977)","email":"user\(index % 977)@example.com",\
                "name":"Customer \(index % 977)","tier":"\(index % 5 == 0 ? "gold" : "basic")"},"items":[{"sku":"SKU-\(index % 300)","qty":\(1 + index % 4),\
                "price_cents":1299},{"sku":"SKU-\(index % 301)","qty":1,"price_cents":499}],"shipping":{"method":"standard","country":"PT"},"note":"café ☕"}}
                """
            output.append(contentsOf: line.utf8)
            output.append(0x0A)
        }
        return output
    }

    /// The config's start: version, source and a Standard Webhooks-signed endpoint `erp`.
    static let signedEndpointHeader = """
        version: 1
        source: { file: ./events.jsonl }
        endpoints:
          erp:
            url: https://erp.example.com/hooks
            signing: { scheme: standard-webhooks, secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw }

        """

    static let benchConfig = signedEndpointHeader + """
          chat: { url: https://chat.example.com/hooks }
          audit: { url: https://audit.example.com/hooks }
        routes:
          - name: eur-orders
            events: ["order.*"]
            where: { data.currency: EUR }
            to: erp
            transform:
              pick: [id, type, data]
              rename: { data.order_id: data.orderId }
              set: { source: bench }
          - { name: gold, events: ["*"], where: { data.customer.tier: gold, data.total_cents: { gte: 100 } }, to: chat }
          - { name: shipments, events: [shipment.delivered, shipment.failed], to: audit }
          - { name: payments, events: [payment.captured], where: { data.currency: { in: [EUR, USD] } }, to: [erp, audit] }
        """

    /// Twenty routes whose filters nest `any`, `all` and `not` and test with `matches`, `prefix`,
    /// `contains` and the rest: the `where` expression benchmark (`--filters`).
    static var filterConfig: String {
        let types = ["order.*", "*", "shipment.delivered", "payment.captured", "user.*"]
        let routes = (0..<20).map { n in
            """
              - name: filtered-\(n)
                events: ["\(types[n % types.count])"]
                to: \(["erp", "chat", "audit"][n % 3])
                where:
                  any:
                    - all:
                        - { data.currency: { in: [EUR, USD] } }
                        - not: { data.customer.email: { matches: "^user\(n)[0-9]*@example\\\\.org$" } }
                        - { data.total_cents: { gte: \(n * 400) } }
                    - { data.customer.tier: { eq: gold }, data.items.0.sku: { prefix: "SKU-\(n)" } }
                    - not: { any: [ { data.note: { contains: "☕" } }, { data.shipping.country: { ne: PT } } ] }
            """
        }
        return signedEndpointHeader + """
              chat: { url: https://chat.example.com/hooks }
              audit: { url: https://audit.example.com/hooks }
            routes:

            """ + routes.joined(separator: "\n")
    }

    /// One signed endpoint and one route for every event, for `--shaping`.
    static let shapingConfig = signedEndpointHeader + """
        routes:

        """

    static let shapingRoutes = [
        "transform": """
              - name: shaped
                events: ["*"]
                to: erp
                transform:
                  pick: [id, type, data]
                  rename: { data.order_id: data.orderId }
                  set: { source: bench, meta.version: 2 }
            """,
        "template": """
              - name: templated
                events: ["*"]
                to: erp
                template: '{"order": "{{data.order_id}}", "who": "{{data.customer.name}}", "items": [{{#data.items}}"{{sku}}",{{/data.items}}null]}'
            """,
        "body": """
              - name: structured
                events: ["*"]
                to: erp
                body: { order: "{{data.order_id}}", total: "{{data.total_cents}}", who: "{{data.customer.name}} <{{data.customer.email}}>" }
            """,
    ]
}
