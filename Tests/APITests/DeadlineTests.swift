import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@testable import API

@Suite("Request deadline")
struct DeadlineTests {
  /// A route that takes `seconds` to answer (a database that does not answer), behind the
  /// problem mapping and a 300 ms deadline.
  static func app() -> some ApplicationProtocol {
    let router = Router(context: BasicRequestContext.self)
    router.add(middleware: ProblemMiddleware())
    router.add(middleware: DeadlineMiddleware(limit: .milliseconds(300)))
    router.on("/slow", method: .get) { _, _ in
      try await Task.sleep(for: .seconds(3))
      return "late"
    }
    router.on("/slow", method: .post) { request, _ in
      let body = try await request.body.collect(upTo: 4 << 20)
      try await Task.sleep(for: .seconds(1))
      return "\(body.readableBytes)"
    }
    router.on("/quick", method: .get) { _, _ in "ok" }
    return Application(router: router)
  }

  @Test(
    "a request with no answer before the deadline gets a 503 problem, in Spanish or English; a quick one its answer"
  )
  func slowRequestIs503() async throws {
    try await Self.app().test(.router) { client in
      let started = ContinuousClock.now
      try await client.execute(uri: "/slow", method: .get) { response in
        #expect(response.status == .serviceUnavailable)
        #expect(response.headers[.contentType] == "application/problem+json")
        #expect(String(buffer: response.body).contains("no obtuvo respuesta en 300 ms"))
        #expect(String(buffer: response.body).contains("Servicio no disponible"))
      }
      // Cancelled at the deadline, not after the route's three seconds.
      #expect(ContinuousClock.now - started < .seconds(2))
      try await client.execute(uri: "/slow", method: .get, headers: [.acceptLanguage: "en"]) { response in
        #expect(String(buffer: response.body).contains("Service unavailable"))
      }
      try await client.execute(uri: "/quick", method: .get) { response in
        #expect(response.status == .ok)
        #expect(String(buffer: response.body) == "ok")
      }
    }
  }

  @Test("an upload (a body above 1 MiB) is not bounded")
  func uploadsAreNotBounded() async throws {
    try await Self.app().test(.router) { client in
      let body = ByteBuffer(repeating: 7, count: 2 << 20)
      try await client.execute(uri: "/slow", method: .post, body: body) { response in
        #expect(response.status == .ok)
        #expect(String(buffer: response.body) == "\(2 << 20)")
      }
    }
  }
}
