import Foundation
import HeraldCore
import Prometheus
import Testing

@testable import HeraldAdmin

@Suite("admin bearer token")
struct AdminTokenTests {
    let token = AdminToken("k8s-s3cret-token")

    @Test("Bearer with exactly the token is accepted, the scheme in any case; anything else is not", arguments: [
        ("Bearer k8s-s3cret-token", true), ("bearer k8s-s3cret-token", true), ("BEARER k8s-s3cret-token", true),
        ("Bearer k8s-s3cret-toke", false), ("Bearer k8s-s3cret-token2", false), ("Bearer K8S-S3CRET-TOKEN", false),
        ("Bearer  k8s-s3cret-token", false), ("Basic k8s-s3cret-token", false), ("k8s-s3cret-token", false),
        ("Bearer ", false), ("", false),
    ])
    func accepts(header: String, accepted: Bool) {
        #expect(token.accepts(authorization: header) == accepted)
    }

    @Test("no header is refused")
    func missing() {
        #expect(!token.accepts(authorization: nil))
    }

    @Test("the comparison looks at every byte of the token whatever the input")
    func constantTime() {
        #expect(AdminToken.constantTimeEqual(Array("abc".utf8), Array("abc".utf8)))
        #expect(!AdminToken.constantTimeEqual(Array("abd".utf8), Array("abc".utf8)))
        #expect(!AdminToken.constantTimeEqual(Array("ab".utf8), Array("abc".utf8)))
        #expect(!AdminToken.constantTimeEqual(Array("abc\0".utf8), Array("abc".utf8)))
        #expect(!AdminToken.constantTimeEqual([], Array("abc".utf8)))
    }

    func routes(ready: Bool) -> AdminRoutes {
        let readiness = Readiness()
        if ready {
            readiness.configLoaded()
            readiness.journal(open: true)
            readiness.source(file: nil)
        }
        return AdminRoutes(registry: PrometheusCollectorRegistry(), readiness: readiness,
                           deliveries: { _ in .page(json: Array(#"{"items":[],"next_cursor":null}"#.utf8)) }, token: token)
    }

    @Test("with a token, /metrics, /deliveries and unknown paths need it: 401 with a Bearer challenge")
    func protectedRoutes() async {
        let routes = routes(ready: true)
        for path in ["/metrics", "/deliveries", "/nothing-here"] {
            let missing = await routes.reply(method: "GET", path: path, query: nil)
            #expect(missing.status == 401, "\(path)")
            #expect(missing.wwwAuthenticate == #"Bearer realm="herald""#)
            let wrong = await routes.reply(method: "GET", path: path, query: nil, authorization: "Bearer guess")
            #expect(wrong.status == 401)
            #expect(wrong.wwwAuthenticate?.contains(#"error="invalid_token""#) == true)
            #expect(!String(decoding: wrong.body, as: UTF8.self).contains("k8s-s3cret-token"))
        }
        let authorized = "Bearer k8s-s3cret-token"
        #expect(await routes.reply(method: "GET", path: "/metrics", query: nil, authorization: authorized).status == 200)
        #expect(await routes.reply(method: "GET", path: "/deliveries", query: "limit=1", authorization: authorized).status == 200)
        #expect(await routes.reply(method: "GET", path: "/nothing-here", query: nil, authorization: authorized).status == 404)
        #expect(await routes.reply(method: "POST", path: "/metrics", query: nil).status == 401, "a method is no way around the token")
    }

    @Test("probes stay open: /healthz answers, /readyz answers its status with only {ready}; its reasons need the token")
    func probesStayOpen() async throws {
        #expect(await routes(ready: true).reply(method: "GET", path: "/healthz", query: nil).status == 200)
        for ready in [true, false] {
            let routes = routes(ready: ready)
            let open = await routes.reply(method: "GET", path: "/readyz", query: nil)
            #expect(open.status == (ready ? 200 : 503))
            #expect(String(decoding: open.body, as: UTF8.self) == #"{"ready":\#(ready)}"# + "\n")
            let full = await routes.reply(method: "GET", path: "/readyz", query: nil, authorization: "Bearer k8s-s3cret-token")
            #expect(full.status == open.status)
            let body = try #require(try JSONSerialization.jsonObject(with: Data(full.body)) as? [String: Any])
            #expect(body["problems"] is [String])
        }
    }

    @Test("without a token everything stays open, as before")
    func noToken() async {
        let routes = AdminRoutes(registry: PrometheusCollectorRegistry(), readiness: Readiness(), deliveries: nil)
        #expect(await routes.reply(method: "GET", path: "/metrics", query: nil).status == 200)
        #expect(await routes.reply(method: "GET", path: "/metrics", query: nil, authorization: "Bearer whatever").status == 200)
    }
}
